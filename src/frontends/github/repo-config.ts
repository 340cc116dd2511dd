import { z } from 'zod';

/**
 * `.github/errand.yml` in a repository (or in the owner's `.github` repository), read through
 * Probot's `context.config`. Outside data: unknown keys are kept and ignored, a wrong value falls
 * back to its default with a warning rather than breaking the repository's triggers.
 */
export const RepoConfig = z.looseObject({
  /** Comments that mention the trigger start or continue an agent. */
  mentions: z.boolean().catch(true).default(true),
  /** Assigning an issue to the app starts an agent on it. */
  assign: z.boolean().catch(true).default(true),
  /** Adding this label to an issue starts an agent on it; empty turns labels off. */
  label: z.string().catch('errand').default('errand'),
  /** Editing a comment so that it newly mentions the trigger counts as a mention. */
  editedComments: z.boolean().catch(false).default(false),
  /** Logins who may start agents here without write access (besides the workspace allowlist). */
  allow: z.array(z.string()).catch([]).default([]),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

export const repoConfigFile = 'errand.yml';

export function parseRepoConfig(raw: unknown): { config: RepoConfig; problems: string[] } {
  const problems: string[] = [];
  const checked = RepoConfig.safeParse(raw ?? {});
  if (checked.success) {
    // `.catch` above repairs bad values silently; name them for the operator's log.
    const strict = RepoConfig.extend({
      mentions: z.boolean().optional(), assign: z.boolean().optional(), label: z.string().optional(),
      editedComments: z.boolean().optional(), allow: z.array(z.string()).optional(),
    }).safeParse(raw ?? {});
    if (!strict.success) problems.push(...strict.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    return { config: checked.data, problems };
  }
  problems.push(...checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return { config: RepoConfig.parse({}), problems };
}
