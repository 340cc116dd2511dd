import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ErrandError, type SecretInfo, type SecretScope, type SecretsService } from '../core/index.js';
import type { RewrapResult } from '../store/redis/index.js';
import { cliActor, pickWorkspace } from './cli-actor.js';
import { readSecretValue, type SecretInput } from './read-secret.js';

export interface SecretsCliDeps {
  secrets: SecretsService;
  /** Re-wraps every data key with the current master key (RedisSecretStore.rewrapAll). */
  rewrap?: () => Promise<RewrapResult>;
  /** Used when --workspace is not given. */
  defaultWorkspace?: string;
  stdin: SecretInput;
  stdout: Writable;
  stderr: Writable;
}

export interface ScopeOptions {
  workspace?: string;
  repo?: string;
}

function scopeOf(deps: SecretsCliDeps, options: ScopeOptions): SecretScope {
  const workspace = pickWorkspace(options.workspace, deps.defaultWorkspace);
  return options.repo ? { workspace, repo: options.repo } : { workspace };
}

/** `errand secrets set NAME [--repo owner/name] [--install]`: the value comes from stdin or a hidden prompt. */
export async function setSecret(deps: SecretsCliDeps, name: string, options: ScopeOptions & { install?: boolean }): Promise<void> {
  const scope = scopeOf(deps, options);
  const value = await readSecretValue(deps.stdin, deps.stderr, name);
  await deps.secrets.set(cliActor(scope.workspace), scope, name, value, { platformAdmin: true, availableToInstall: options.install ?? false });
  deps.stdout.write(`${name} set for ${where(scope)}${options.install ? ' (also available to install)' : ''}\n`);
}

/** `errand secrets list [--repo owner/name] [--json]`: names and flags only. */
export async function listSecrets(deps: SecretsCliDeps, options: ScopeOptions & { json?: boolean }): Promise<SecretInfo[]> {
  const scope = scopeOf(deps, options);
  const secrets = await deps.secrets.list(cliActor(scope.workspace), scope, { platformAdmin: true });
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(secrets, null, 2)}\n`);
  } else if (secrets.length === 0) {
    deps.stdout.write(`no secrets for ${where(scope)}\n`);
  } else {
    const width = Math.max(4, ...secrets.map((s) => s.name.length));
    deps.stdout.write(`${'NAME'.padEnd(width)}  INSTALL  UPDATED\n`);
    for (const s of secrets) deps.stdout.write(`${s.name.padEnd(width)}  ${(s.availableToInstall ? 'yes' : 'no').padEnd(7)}  ${s.updatedAt}\n`);
  }
  return secrets;
}

/** `errand secrets rm NAME [--repo owner/name]`. */
export async function removeSecret(deps: SecretsCliDeps, name: string, options: ScopeOptions): Promise<boolean> {
  const scope = scopeOf(deps, options);
  const removed = await deps.secrets.remove(cliActor(scope.workspace), scope, name, { platformAdmin: true });
  deps.stdout.write(removed ? `${name} removed from ${where(scope)}\n` : `${where(scope)} has no secret ${name}\n`);
  return removed;
}

/** `errand secrets rewrap`: after rotating the master key, moves every data key onto the new one. */
export async function rewrapSecrets(deps: SecretsCliDeps): Promise<RewrapResult> {
  if (!deps.rewrap) throw new ErrandError('not_configured', 'rewrap is not wired: pass RedisSecretStore.rewrapAll as deps.rewrap');
  const result = await deps.rewrap();
  deps.stdout.write(`re-wrapped ${result.rewrapped} data key(s); ${result.current} already on the current key\n`);
  for (const failure of result.failed) {
    deps.stderr.write(`  could not re-wrap ${failure.name} (${failure.repo ?? 'workspace'} in ${failure.workspace}): ${failure.code}\n`);
  }
  return result;
}

function where(scope: SecretScope): string {
  return scope.repo ? `${scope.repo} in workspace ${scope.workspace}` : `workspace ${scope.workspace}`;
}

/** Adds `errand secrets …` to the program. Errors propagate to the caller's handler (ErrandError with a code). */
/** `deps` is called only when a subcommand runs, so other commands never connect to Redis. */
export function registerSecrets(program: Command, deps: () => Promise<SecretsCliDeps>): Command {
  const secrets = program.command('secrets').description('workspace and repository secrets, encrypted at rest (values are never shown)');
  const withScope = (command: Command) =>
    command.option('-w, --workspace <id>', 'workspace (Slack team id, GitHub installation id, API tenant)').option('-r, --repo <owner/name>', 'a repository secret instead of a workspace one');
  withScope(secrets.command('set <NAME>').description('set a secret; the value is read from stdin or a hidden prompt, never from the command line'))
    .option('--install', "also give it to the environment's install step")
    .action(async (name: string, options: ScopeOptions & { install?: boolean }) => {
      await setSecret(await deps(), name, options);
    });
  withScope(secrets.command('list').alias('ls').description('list secret names (never values)'))
    .option('--json', 'print JSON')
    .action(async (options: ScopeOptions & { json?: boolean }) => {
      await listSecrets(await deps(), options);
    });
  withScope(secrets.command('rm <NAME>').alias('remove').description('remove a secret')).action(async (name: string, options: ScopeOptions) => {
    await removeSecret(await deps(), name, options);
  });
  secrets
    .command('rewrap')
    .description('after a master key rotation: re-wrap every data key with the current key (keep the old key in ERRAND_MASTER_KEY_PREVIOUS until this succeeds)')
    .action(async () => {
      await rewrapSecrets(await deps());
    });
  return secrets;
}
