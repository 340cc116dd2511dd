import type { z } from 'zod';
import { ErrandError } from './errors.js';
import { isAdmin } from './policy.js';
import { principalKey, type Principal } from './principal.js';
import { parseRepoRef } from './repo-ref.js';
import type { Log } from './ports/runtime.js';
import type { AuditLog, SettingsStore } from './ports/store.js';
import { Settings, SettingsPatch } from './settings.js';

/** A settings patch was refused; `fields` names every unknown or wrong-typed field. */
export class InvalidSettingsError extends ErrandError {
  constructor(
    readonly fields: string[],
    message: string,
  ) {
    super('invalid_request', message);
    this.name = 'InvalidSettingsError';
  }
}

export interface SettingsServiceDeps {
  settings: SettingsStore;
  audit: AuditLog;
  log: Log;
}

export interface SettingsUpdate {
  settings: Settings;
  /** Names of the settings whose value changed (empty when the patch changed nothing). */
  changed: string[];
}

/**
 * Reading and changing a workspace's settings. Only admins change them: people listed in the
 * `admins` setting (seeded from ERRAND_ADMINS) or platform admins as the front end reports them
 * (Slack workspace admin or owner, GitHub repository admin, the API admin key, the CLI on the host).
 * A change applies to agents launched after it; running agents keep the settings they started with.
 */
export class SettingsService {
  constructor(private readonly deps: SettingsServiceDeps) {}

  get(workspace: string): Promise<Settings> {
    return this.deps.settings.get(workspace);
  }

  async update(workspace: string, actor: Principal, patch: unknown, options: { platformAdmin?: boolean } = {}): Promise<SettingsUpdate> {
    const current = await this.deps.settings.get(workspace);
    if (!isAdmin(actor, current, options.platformAdmin ?? false)) {
      throw new ErrandError('forbidden', "only this workspace's admins can change its settings; ask an admin, or ask one to add you to `admins`");
    }
    const parsed = parsePatch(patch);
    assertRepositories(parsed);
    const next = Settings.parse({ ...current, ...parsed });
    const changed = (Object.keys(parsed) as (keyof Settings)[]).filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key])).sort();
    if (changed.length === 0) return { settings: current, changed };
    await this.deps.settings.set(workspace, next);
    await this.deps.audit.append({ workspace, actor: principalKey(actor), actorName: actor.name, action: 'settings.update', target: changed });
    this.deps.log.info({ workspace, actor: principalKey(actor), changed }, 'settings updated');
    return { settings: next, changed };
  }
}

/** Validates a patch strictly; the error names each refused field and says what is wrong with it. */
export function parsePatch(patch: unknown): SettingsPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new InvalidSettingsError([], 'settings must be given as an object of name → value');
  }
  const result = SettingsPatch.safeParse(patch);
  if (result.success) return result.data;
  const fields: string[] = [];
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        fields.push(key);
        problems.push(`${key}: no such setting`);
      }
    } else {
      const field = issue.path.map(String).join('.') || '(patch)';
      fields.push(String(issue.path[0] ?? field));
      problems.push(`${field}: ${describe(issue)}`);
    }
  }
  const unique = [...new Set(fields)].sort();
  throw new InvalidSettingsError(unique, `settings refused: ${problems.join('; ')}`);
}

/** Default repositories are checked like a launch's: a URL with credentials is refused, not stored. */
function assertRepositories(patch: SettingsPatch): void {
  const repos: [string, string][] = [];
  if (patch.defaultRepo) repos.push(['defaultRepo', patch.defaultRepo]);
  for (const [channel, repo] of Object.entries(patch.channelRepos ?? {})) repos.push([`channelRepos.${channel}`, repo]);
  for (const [field, repo] of repos) {
    try {
      parseRepoRef(repo);
    } catch (error) {
      if (error instanceof ErrandError) throw new InvalidSettingsError([field.split('.')[0]!], `settings refused: ${field}: ${error.message}`);
      throw error;
    }
  }
}

function describe(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: /, '');
}
