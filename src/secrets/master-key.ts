import { createHash } from 'node:crypto';
import { ErrandError } from '../core/index.js';

export const masterKeyBytes = 32;

/**
 * A master key as written in ERRAND_MASTER_KEY or a key file: 32 bytes, as 64 hex digits or as
 * base64 (standard or URL-safe). Anything else is a setup mistake and says how to make a key.
 */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== masterKeyBytes) {
    throw new ErrandError(
      'not_configured',
      `${source} must be a 32-byte key written as base64 (44 characters) or hex (64 digits); make one with \`openssl rand -base64 32\``,
    );
  }
  return key;
}

/** A short, stable, non-secret name for a master key, stored in each envelope to pick the key. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('errand master key id\0').update(key).digest('hex').slice(0, 16);
}
