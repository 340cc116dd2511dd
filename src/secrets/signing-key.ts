import { randomBytes } from 'node:crypto';
import type { KeyProvider } from './key-provider.js';

/**
 * The key that signs short-lived links (artifact downloads): derived from the master key, so every
 * process of the install agrees on it. Without a master key, a random key of this process: links
 * then work only on the process that made them (a single-process install).
 */
export function signingKey(provider: KeyProvider | null, label: string): () => Promise<Buffer> {
  let key: Promise<Buffer> | null = null;
  return () => {
    key ??= (async () => (await provider?.deriveKey?.(label).catch(() => null)) ?? randomBytes(32))();
    return key;
  };
}
