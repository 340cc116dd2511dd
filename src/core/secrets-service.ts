import { ErrandError } from './errors.js';
import { assertMayLaunch, isAdmin } from './policy.js';
import { principalKey, type Principal } from './principal.js';
import type { Log } from './ports/runtime.js';
import type { SecretInfo, SecretScope, SecretStore } from './ports/secrets.js';
import type { AuditLog, SettingsStore } from './ports/store.js';
import { assertSecretName, assertSecretValue, normalizeSecretScope } from './secret-name.js';

export interface SecretsServiceDeps {
  secrets: SecretStore;
  settings: SettingsStore;
  audit: AuditLog;
  log: Log;
}

/** What the front end knows about the actor beyond the workspace's `admins` setting. */
export interface SecretAuthority {
  /** Slack workspace admin or owner, the API admin key, the CLI on the server host. */
  platformAdmin?: boolean;
  /** Admin of the repository in `scope.repo` (GitHub): may manage that repository's secrets only. */
  repoAdmin?: boolean;
}

/**
 * Workspace and repository secrets. Only admins set or remove them (a repository's admins for its
 * own secrets); anyone who may launch agents may see their names. Values go in and never come back
 * out: only the worker resolves them, through the SecretStore, to hand them to a run.
 */
export class SecretsService {
  constructor(private readonly deps: SecretsServiceDeps) {}

  async set(actor: Principal, given: SecretScope, name: string, value: string, options: SecretAuthority & { availableToInstall?: boolean } = {}): Promise<void> {
    const scope = normalizeSecretScope(given);
    assertSecretName(name);
    await this.assertMayManage(actor, scope, options);
    assertSecretValue(name, value);
    await this.deps.secrets.set(scope, name, value, { availableToInstall: options.availableToInstall ?? false });
    await this.audit(actor, scope, 'secret.set', name);
  }

  async remove(actor: Principal, given: SecretScope, name: string, options: SecretAuthority = {}): Promise<boolean> {
    const scope = normalizeSecretScope(given);
    assertSecretName(name);
    await this.assertMayManage(actor, scope, options);
    const removed = await this.deps.secrets.remove(scope, name);
    if (removed) await this.audit(actor, scope, 'secret.remove', name);
    return removed;
  }

  /** Names, scopes and flags; never values. */
  async list(actor: Principal, given: SecretScope, options: SecretAuthority = {}): Promise<SecretInfo[]> {
    const scope = normalizeSecretScope(given);
    const settings = await this.deps.settings.get(scope.workspace);
    if (!isAdmin(actor, settings, options.platformAdmin ?? false) && !(scope.repo && options.repoAdmin)) assertMayLaunch(actor, settings);
    return this.deps.secrets.list(scope);
  }

  private async assertMayManage(actor: Principal, scope: SecretScope, authority: SecretAuthority): Promise<void> {
    const settings = await this.deps.settings.get(scope.workspace);
    if (isAdmin(actor, settings, authority.platformAdmin ?? false)) return;
    if (scope.repo && authority.repoAdmin) return;
    throw new ErrandError(
      'forbidden',
      scope.repo
        ? `only workspace admins and admins of ${scope.repo} can change its secrets`
        : "only this workspace's admins can change its secrets; a repository's admins can set secrets for that repository",
    );
  }

  private async audit(actor: Principal, scope: SecretScope, action: 'secret.set' | 'secret.remove', name: string): Promise<void> {
    await this.deps.audit.append({
      workspace: scope.workspace,
      actor: principalKey(actor),
      actorName: actor.name,
      action,
      target: [name],
      ...(scope.repo ? { repo: scope.repo } : {}),
    });
    this.deps.log.info({ workspace: scope.workspace, repo: scope.repo, secretName: name, actor: principalKey(actor) }, action === 'secret.set' ? 'secret set' : 'secret removed');
  }
}
