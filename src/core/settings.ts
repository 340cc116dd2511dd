import { z } from 'zod';

export const FollowUpPolicy = z.enum(['owner', 'service_accounts', 'everyone']);
export type FollowUpPolicy = z.infer<typeof FollowUpPolicy>;

/** A team's controls. One record per workspace (Slack team, GitHub installation, API tenant). */
export const Settings = z.object({
  /** `provider:model`; empty means the server's default model. */
  defaultModel: z.string().default(''),
  /** `owner/name` or a git URL; empty means the agent must be told which repo. */
  defaultRepo: z.string().default(''),
  /** Empty means the repository's default branch. */
  baseBranch: z.string().default(''),
  /** Per Slack channel id: the default repo there. */
  channelRepos: z.record(z.string(), z.string()).default({}),
  /** Empty: anyone in the workspace may launch. Otherwise principal keys or bare user ids/logins. */
  allowlist: z.array(z.string()).default([]),
  /** Principal keys or bare ids that count as admins in this workspace, beside platform admins. */
  admins: z.array(z.string()).default([]),
  /** Principal keys or bare ids treated as service accounts for team follow-ups. */
  serviceAccounts: z.array(z.string()).default([]),
  teamFollowUps: FollowUpPolicy.default('everyone'),
  displaySummary: z.boolean().default(true),
  displaySummaryExternal: z.boolean().default(false),
  privacyMode: z.boolean().default(false),
  retentionDays: z.number().int().min(1).max(365).default(3),
  maxConcurrentPerWorkspace: z.number().int().min(1).max(1000).default(10),
  maxConcurrentPerPerson: z.number().int().min(1).max(1000).default(3),
  network: z.enum(['none', 'full']).default('full'),
  /**
   * Per repository (`owner/name` in lower case, or the URL's path): environment file text kept here
   * instead of in the repository. Used when the repository has no environment file of its own.
   */
  environments: z.record(z.string(), z.string()).default({}),
});
export type Settings = z.infer<typeof Settings>;

type WithoutDefaults<T extends z.ZodRawShape> = { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer Inner> ? Inner : T[K]> };

/** Each field optional and without its default, so a patch holds only the fields it names. */
function patchOf<T extends z.ZodRawShape>(shape: T): z.ZodObject<WithoutDefaults<T>, z.core.$strict> {
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]),
  );
  return z.strictObject(fields) as unknown as z.ZodObject<WithoutDefaults<T>, z.core.$strict>;
}

/**
 * A partial update, strict: an unknown or wrong-typed field is refused with its name. Built without
 * the defaults (zod's `.partial()` keeps them, so `{ defaultRepo }` would have reset every other field).
 */
export const SettingsPatch = patchOf(Settings.shape);
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export function defaultSettings(): Settings {
  return Settings.parse({});
}
