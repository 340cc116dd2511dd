import { z } from 'zod';
import { defaultProtectedBranches } from './protected-branch.js';
import { NetworkMode, NetworkPattern, type NetworkPolicy } from './network.js';

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
  /** Branches an agent may never push to as its own (`*` within a segment); the base and default branch always are. */
  protectedBranches: z.array(z.string().min(1)).default([...defaultProtectedBranches]),
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
  /** Egress of build, install and start (see docs/sandbox.md, Network and egress policy). */
  networkInstall: NetworkMode.default('full'),
  /** Egress of terminals and the agent's commands. */
  networkAgent: NetworkMode.default('full'),
  /** Domains (`registry.npmjs.org`, `*.pypi.org`) and presets (`preset:package-registries`) the `allowlist` mode allows. */
  networkAllowlist: z.array(NetworkPattern).default([]),
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

/**
 * Stored settings from before the per-phase network policy: `network: none|full` becomes the same
 * mode for both phases (unless the new fields are already there).
 */
export function migrateSettings(stored: Record<string, unknown>): Record<string, unknown> {
  const { network, ...rest } = stored;
  if (network !== 'none' && network !== 'full') return rest;
  return { networkInstall: network, networkAgent: network, ...rest };
}

/** The egress policy a workspace's settings ask for. */
export function networkPolicy(settings: Pick<Settings, 'networkInstall' | 'networkAgent' | 'networkAllowlist'>): NetworkPolicy {
  return { install: settings.networkInstall, agent: settings.networkAgent, allowlist: settings.networkAllowlist };
}

export function defaultSettings(): Settings {
  return Settings.parse({});
}
