import type { Writable } from 'node:stream';
import { z } from 'zod';
import { ApiClient } from './api-client.js';
import { resolveServer } from './credentials.js';

export const LoginLink = z.looseObject({ url: z.string(), expiresAt: z.string() });
export type LoginLink = z.infer<typeof LoginLink>;

export interface LoginLinkDeps {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  fetch?: typeof fetch;
}

/**
 * `errand login --link`: asks the server, with this machine's saved key (or ERRAND_API_KEY), for a
 * one-time link that signs a browser into the dashboard as the same key. Prints the link on stdout.
 */
export async function printLoginLink(deps: LoginLinkDeps, options: { url?: string } = {}): Promise<LoginLink> {
  const server = resolveServer(deps.env);
  const client = new ApiClient({ url: (options.url ?? server.url).replace(/\/+$/, ''), apiKey: server.apiKey, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const link = LoginLink.parse(await client.request('POST', '/auth/login-links'));
  const minutes = Math.max(1, Math.round((Date.parse(link.expiresAt) - Date.now()) / 60_000));
  deps.stderr.write(`Open this link in your browser within ${minutes} minute${minutes === 1 ? '' : 's'}; it signs in once:\n`);
  deps.stdout.write(`${link.url}\n`);
  return link;
}
