import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { defaultApiWorkspace, type ApiKeyInfo, type ApiKeyStore } from '../frontends/http/api/api-keys.js';
import { credentialsPath, saveCredentials } from './credentials.js';

export interface KeysCliDeps {
  /** The key store on the server's Redis; `done` closes the connection. */
  open(): Promise<{ keys: ApiKeyStore; serverUrl: string; done(): Promise<void> }>;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
}

export interface CreateKeyOptions {
  name: string;
  admin?: boolean;
  workspace?: string;
  owner?: string;
  /** Display name of the person (default: the key's name). */
  ownerName?: string;
  email?: string;
  save?: boolean;
}

async function withKeys<T>(deps: KeysCliDeps, work: (keys: ApiKeyStore, serverUrl: string) => Promise<T>): Promise<T> {
  const opened = await deps.open();
  try {
    return await work(opened.keys, opened.serverUrl);
  } finally {
    await opened.done();
  }
}

/** `errand keys create --name alice [--admin] [--workspace api] [--save]`: prints the key once. */
export async function createKey(deps: KeysCliDeps, options: CreateKeyOptions): Promise<{ key: string; info: ApiKeyInfo }> {
  return withKeys(deps, async (keys, serverUrl) => {
    const created = await keys.create({
      name: options.name,
      ...(options.workspace ? { workspace: options.workspace } : {}),
      ...(options.owner ? { ownerId: options.owner } : {}),
      ...(options.ownerName ? { ownerName: options.ownerName } : {}),
      ...(options.email ? { ownerEmail: options.email } : {}),
      admin: options.admin ?? false,
    });
    const { info, key } = created;
    deps.stderr.write(`Created API key ${info.name} (${info.id}) for ${info.ownerId} in workspace ${info.workspace}${info.admin ? ', admin' : ''}.\n`);
    deps.stderr.write('It is shown only this once; Errand keeps only its hash.\n');
    deps.stdout.write(`${key}\n`);
    if (options.save) {
      const path = saveCredentials({ url: deps.env['ERRAND_URL'] || serverUrl, apiKey: key }, deps.env);
      deps.stderr.write(`Saved to ${path} (mode 0600): the errand CLI on this machine uses it now.\n`);
    } else {
      deps.stderr.write(`Use it with: export ERRAND_API_KEY=<the key>   (or \`errand login\` to save it in ${credentialsPath(deps.env)})\n`);
    }
    return created;
  });
}

export async function listKeys(deps: KeysCliDeps, options: { json?: boolean }): Promise<ApiKeyInfo[]> {
  return withKeys(deps, async (keys) => {
    const list = await keys.list();
    if (options.json) {
      deps.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } else if (list.length === 0) {
      deps.stdout.write('no API keys; make one with `errand keys create --name <you> --admin`\n');
    } else {
      const rows = list.map((k) => [k.id, k.name, k.hint + '…', k.workspace, k.ownerId, k.admin ? 'yes' : 'no', k.createdAt.slice(0, 16).replace('T', ' '), k.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never']);
      const header = ['ID', 'NAME', 'KEY', 'WORKSPACE', 'OWNER', 'ADMIN', 'CREATED', 'LAST USED'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
      for (const row of [header, ...rows]) deps.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
    }
    return list;
  });
}

export async function revokeKey(deps: KeysCliDeps, idOrName: string): Promise<boolean> {
  return withKeys(deps, async (keys) => {
    const revoked = await keys.revoke(idOrName);
    if (revoked) deps.stdout.write(`revoked ${revoked.name} (${revoked.id}); requests with it now get 401\n`);
    else deps.stderr.write(`no API key with id or name ${idOrName} (see errand keys list)\n`);
    if (!revoked) process.exitCode = 1;
    return revoked !== null;
  });
}

/** `errand keys …`: runs on the server host, against its Redis (like `errand secrets`). */
export function registerKeys(program: Command, deps: KeysCliDeps): Command {
  const keys = program.command('keys').description("HTTP API keys (on the server host; talks to Errand's Redis)");
  keys
    .command('create')
    .description('make a key and print it once')
    .requiredOption('--name <name>', 'who or what uses it, e.g. alice or ci-deploy (unique)')
    .option('--admin', 'may change settings and secrets, read the audit log, see and stop every agent of the workspace')
    .option('-w, --workspace <id>', 'the workspace it acts in (a Slack team id to share one with Slack)', defaultApiWorkspace)
    .option('--owner <id>', 'the person it acts as (default: the name)')
    .option('--owner-name <name>', "the person's name for commits (default: the key's name)")
    .option('--email <address>', "the person's e-mail: agents' commits credit them with Co-authored-by")
    .option('--save', 'also save it (with the server URL) to ~/.config/errand/credentials for this machine')
    .action(async (options: CreateKeyOptions) => {
      await createKey(deps, options);
    });
  keys
    .command('list')
    .alias('ls')
    .description('keys, with when each was last used (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await listKeys(deps, options);
    });
  keys
    .command('revoke')
    .alias('rm')
    .description('revoke a key by id or name')
    .argument('<id-or-name>')
    .action(async (idOrName: string) => {
      await revokeKey(deps, idOrName);
    });
  return keys;
}
