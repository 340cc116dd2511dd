import { z } from 'zod';
import { ErrandError } from './errors.js';
import type { SecretScope } from './ports/secrets.js';
import { parseRepoRef } from './repo-ref.js';

/** An environment variable name: upper case, digits and underscores, not starting with a digit. */
export const SecretName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/);
export type SecretName = z.infer<typeof SecretName>;

/** A secret's value may be at most this many bytes (UTF-8). */
export const maxSecretBytes = 64 * 1024;

export function assertSecretName(name: string): void {
  if (!SecretName.safeParse(name).success) {
    throw new ErrandError(
      'invalid_request',
      `\`${name.slice(0, 140)}\` is not a valid secret name: use upper-case letters, digits and underscores, not starting with a digit (at most 128 characters), e.g. NPM_TOKEN`,
    );
  }
}

export function assertSecretValue(name: string, value: string): void {
  if (value.length === 0) throw new ErrandError('invalid_request', `the value of ${name} is empty`);
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > maxSecretBytes) {
    throw new ErrandError('invalid_request', `the value of ${name} is ${bytes} bytes; secrets may be at most ${maxSecretBytes} bytes`);
  }
}

/**
 * One spelling per scope: `Acme/Web`, `acme/web.git` and `https://github.com/acme/web` name the
 * same repository's secrets. Other git URLs and paths are kept as written.
 */
export function normalizeSecretScope(scope: SecretScope): SecretScope {
  const workspace = scope.workspace.trim();
  if (!workspace) throw new ErrandError('invalid_request', 'a secret needs a workspace');
  if (scope.repo === undefined || scope.repo.trim() === '') return { workspace };
  const ref = parseRepoRef(scope.repo);
  return { workspace, repo: ref.fullName?.toLowerCase() ?? ref.url };
}
