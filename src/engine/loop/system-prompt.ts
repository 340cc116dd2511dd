import { artifactsFolder, repoLabel, type Agent, type AgentMode, type SandboxHandle } from '../../core/index.js';

/** What the agent is told about the repository before it starts. */
export interface RepoFacts {
  /** AGENTS.md / README excerpts, as read from /workspace. */
  notes: string;
  /** Top-level entries of /workspace. */
  topLevel: string;
  terminals: string[];
  /** Folders under /workspace-deps: the environment's `repositoryDependencies`. */
  dependencies?: string[];
}

const notesBytes = 4000;
/** Where the sandbox puts `repositoryDependencies` (see sandbox/docker/dependencies.ts). */
const dependenciesRoot = '/workspace-deps';

/** Reads the repository's own instructions and layout from the container, never failing the run. */
export async function readRepoFacts(sandbox: SandboxHandle, signal?: AbortSignal): Promise<RepoFacts> {
  if (sandbox.preparedFacts) return sandbox.preparedFacts;
  const script = `for f in AGENTS.md AGENT.md CLAUDE.md .cursorrules README.md README.rst README.txt README; do
  if [ -f "$f" ]; then printf '=== %s ===\\n' "$f"; head -c ${notesBytes} -- "$f"; printf '\\n'; fi
done`;
  const [notes, topLevel, terminals, dependencies] = await Promise.all([
    sandbox.exec(script, { maxOutputBytes: notesBytes * 3, timeoutMs: 15_000, ...(signal ? { signal } : {}) }).then((r) => r.output.trim(), () => ''),
    sandbox.exec('ls -Ap | head -n 100', { timeoutMs: 15_000, ...(signal ? { signal } : {}) }).then((r) => r.output.trim(), () => ''),
    sandbox.terminals().catch(() => [] as string[]),
    sandbox
      .exec(`[ -d ${dependenciesRoot} ] && ls -A ${dependenciesRoot} | head -n 50 || true`, { cwd: '/', timeoutMs: 15_000, ...(signal ? { signal } : {}) })
      .then((r) => r.output.split('\n').map((line) => line.trim()).filter(Boolean), () => [] as string[]),
  ]);
  return { notes, topLevel, terminals, dependencies };
}

export interface PromptInput {
  agent: Pick<Agent, 'mode' | 'branch' | 'repo' | 'prompt' | 'context' | 'extraRepos'>;
  baseBranch: string | null;
  facts: RepoFacts;
}

/** The system prompt: who the agent is, where it works, the rules, and what the repository says. */
export function systemPrompt({ agent, baseBranch, facts }: PromptInput): string {
  const lines = [
    'You are Errand, a coding agent working on your own in a Linux container. Nobody watches live: work until the task is done, then call `finish`.',
    '',
    '## Where you work',
    agent.repo ? `- Repository: ${agent.repo.fullName ?? agent.repo.url}, checked out at /workspace.` : '- /workspace (no repository).',
    agent.repo ? `- Branch: \`${agent.branch}\`${baseBranch ? ` (from \`${baseBranch}\`)` : ''}. It is yours.` : '',
    ...otherRepositories(agent),
    ...(facts.dependencies?.length
      ? [`- Other repositories this one depends on, cloned for you to read (changes there are not kept): ${facts.dependencies.map((name) => `${dependenciesRoot}/${name}`).join(', ')}.`]
      : []),
    facts.terminals.length
      ? `- Terminals (long-running processes; read them with terminal_output): ${facts.terminals.join(', ')}.`
      : '- The environment has no terminals.',
    '- Tools take paths relative to /workspace. `run` runs bash in /workspace; commands must finish (no servers or watchers in `run`).',
    '',
    '## How to work',
    ...howToWork(agent.mode),
    '- Messages that start with "Follow-up from" come from people while you work: take them into account.',
    `- Files you want to hand over besides the code (screenshots, reports, logs) go in /workspace/${artifactsFolder}/: people can download them after the run. They are never committed.`,
    '',
    '## Repository',
    facts.topLevel ? `Top level of /workspace:\n${facts.topLevel}` : '',
    facts.notes ? `\nThe repository's own notes (excerpts; its AGENTS.md instructions apply to you):\n${facts.notes}` : '',
  ];
  return lines.filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n').trim();
}

/**
 * A multi-repository agent's other repositories: where each is, that each is its own git repository
 * on the same branch, and that each gets its own commit and pull request.
 */
function otherRepositories(agent: Pick<Agent, 'branch' | 'extraRepos'>): string[] {
  const extras = agent.extraRepos ?? [];
  if (extras.length === 0) return [];
  return [
    `- You work on ${extras.length + 1} repositories. Besides the one at /workspace:`,
    ...extras.map((extra) => `  - ${repoLabel(extra.repo)} at /workspace/${extra.path}${extra.path.toLowerCase() === (repoLabel(extra.repo).split('/').at(-1) ?? '').replace(/\.git$/, '').toLowerCase() ? '' : ' (its name was taken, so its folder is owner-name)'}, from its default branch.`),
    `- Each is its own git repository with its own \`${agent.branch}\` branch (the folder at /workspace is not part of the others, nor they of it). Tools and \`run\` reach them all under /workspace. Errand commits, pushes and opens a pull request for each repository you changed, and the pull requests link to each other; unchanged ones are left alone.`,
  ];
}

/** The mode's rules: what the agent may change and what `finish` should carry. */
function howToWork(mode: AgentMode): string[] {
  switch (mode) {
    case 'ask':
      return [
        '- This is ask mode: answer the question by reading the code and running commands. You cannot edit files, and nothing you change is kept.',
        '- Call `finish` with your answer as the summary.',
      ];
    case 'plan':
      return [
        '- This is plan mode: explore the code (read it, run commands and tests) and write a plan; do not make the change. You cannot edit files, and whatever commands change is undone when you finish. Nothing is pushed.',
        '- Call `finish` with the plan as the summary: a short title line, then the files to change and how, in order, and how to check the result. A later run carries it out.',
      ];
    case 'agent':
      return [
        '- Make the change the task asks for, keeping to the style of the code around it. Prefer edit_file for changes to existing files.',
        "- Run the project's tests or checks that cover your change before you finish, and fix what you broke.",
        '- Do not commit, push or switch branches: Errand commits every file in /workspace and pushes the branch after you call `finish`. Do not leave stray files behind.',
        '- Call `finish` with a summary: first line a short imperative commit title (under 72 characters), then what changed and how you checked it.',
      ];
  }
}

/** The first user message of a new run: the task, and the conversation it came from. */
export function taskMessage(agent: Pick<Agent, 'prompt' | 'context' | 'owner'>): string {
  const parts = [`Task from ${agent.owner.name}:\n${agent.prompt}`];
  if (agent.context?.trim()) parts.push(`Context (the conversation the task came from):\n${agent.context.trim()}`);
  return parts.join('\n\n');
}
