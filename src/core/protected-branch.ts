import { ErrandError } from './errors.js';

/** Branches an agent may never use as its own, unless a workspace sets its own list. */
export const defaultProtectedBranches: readonly string[] = ['main', 'master', 'develop', 'release/*'];

/** `*` matches within one path segment, `**` across segments; anything else is literal. */
export function branchMatches(branch: string, pattern: string): boolean {
  const source = pattern
    .split('**')
    .map((part) => part.split('*').map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`).test(branch);
}

export interface ProtectedBranches {
  /** The branch the agent starts from; the agent's branch is never it. */
  base?: string | null | undefined;
  /** The repository's default branch, when known. */
  defaultBranch?: string | null | undefined;
  /** Patterns (`main`, `release/*`) from the workspace's `protectedBranches` setting. */
  patterns: readonly string[];
}

/** The agent's own branch must be neither the base, the default branch nor a protected pattern. */
export function protectedBranchProblem(branch: string, rules: ProtectedBranches): string | null {
  if (rules.base && branch === rules.base) return `\`${branch}\`, the base branch`;
  if (rules.defaultBranch && branch === rules.defaultBranch) return `\`${branch}\`, the repository's default branch`;
  const pattern = rules.patterns.find((p) => branchMatches(branch, p));
  return pattern ? `\`${branch}\`, a protected branch (\`${pattern}\`)` : null;
}

export function assertAgentBranch(branch: string, rules: ProtectedBranches): void {
  const problem = protectedBranchProblem(branch, rules);
  if (!problem) return;
  throw new ErrandError(
    'invalid_request',
    `the agent cannot work on ${problem}: an agent works on a branch of its own and opens a pull request, ` +
      'so it never pushes to the base or a protected branch; leave the branch name out or pick another',
  );
}
