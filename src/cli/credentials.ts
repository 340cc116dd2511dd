import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ErrandError } from '../core/index.js';

export const defaultServerUrl = 'http://127.0.0.1:3000';

/** `~/.config/errand/credentials`: the server and key saved by `errand login` or `errand keys create --save`. */
export const Credentials = z.looseObject({
  url: z.string().optional(),
  apiKey: z.string().optional(),
});
export type Credentials = z.infer<typeof Credentials>;

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'errand', 'credentials');
}

export function readCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  let text: string;
  try {
    text = readFileSync(credentialsPath(env), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = Credentials.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // Fall through to the fix-it below.
  }
  throw new ErrandError('invalid_request', `${credentialsPath(env)} is damaged: delete it and run \`errand login\` again`);
}

/** Writes the file readable by its owner only (0600), in a 0700 directory. */
export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = credentialsPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** The server and key to use: ERRAND_URL / ERRAND_API_KEY win over the saved credentials. */
export function resolveServer(env: NodeJS.ProcessEnv = process.env): { url: string; apiKey: string | null } {
  const saved = readCredentials(env);
  return {
    url: (env['ERRAND_URL'] || saved.url || defaultServerUrl).replace(/\/+$/, ''),
    apiKey: env['ERRAND_API_KEY'] || saved.apiKey || null,
  };
}
