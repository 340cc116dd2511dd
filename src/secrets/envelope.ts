import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ErrandError } from '../core/index.js';
import type { KeyProvider } from './key-provider.js';

/** What a secret is bound to: its ciphertext only decrypts under the same workspace, repo and name. */
export interface SecretContext {
  workspace: string;
  /** Normalised repository (`owner/name` in lower case), or null for a workspace secret. */
  repo: string | null;
  name: string;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/**
 * Version 1 of the stored form, JSON:
 * `{"v":1,"kid":…,"wk":…,"iv":…,"ct":…,"tag":…}` (binary fields base64). `wk` is the data key
 * wrapped by master key `kid`; `iv`, `ct`, `tag` are the value under AES-256-GCM with that data key.
 * A later format bumps `v`; readers refuse versions they do not know.
 */
export const Envelope = z
  .object({
    v: z.literal(1),
    kid: z.string().min(1).max(128),
    wk: base64,
    iv: base64,
    ct: base64,
    tag: base64,
  })
  .strict();
export type Envelope = z.infer<typeof Envelope>;

const dataKeyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;

/** Associated data for the value: the format version and the secret's scope and name. */
export function valueAad(context: SecretContext): Buffer {
  return Buffer.from(JSON.stringify(['errand-secret', 1, context.workspace, context.repo ?? '', context.name]), 'utf8');
}

/** Associated data for the wrapped data key: the same binding, labelled differently. */
export function dataKeyAad(context: SecretContext): Buffer {
  return Buffer.from(JSON.stringify(['errand-data-key', 1, context.workspace, context.repo ?? '', context.name]), 'utf8');
}

/** Encrypts a value under a fresh data key and IV, and wraps the data key with the master key. */
export async function seal(value: string, context: SecretContext, keys: KeyProvider): Promise<string> {
  const dataKey = randomBytes(dataKeyBytes);
  try {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: tagBytes });
    cipher.setAAD(valueAad(context));
    const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const wrapped = await keys.wrapKey(dataKey, dataKeyAad(context));
    const envelope: Envelope = {
      v: 1,
      kid: wrapped.kid,
      wk: wrapped.wrapped.toString('base64'),
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
      tag: tag.toString('base64'),
    };
    return JSON.stringify(envelope);
  } finally {
    dataKey.fill(0);
  }
}

/** Decrypts a sealed value; anything wrong fails closed with `secret_unreadable`, revealing nothing. */
export async function open(sealed: string, context: SecretContext, keys: KeyProvider): Promise<string> {
  const envelope = parseEnvelope(sealed);
  const iv = Buffer.from(envelope.iv, 'base64');
  const tag = Buffer.from(envelope.tag, 'base64');
  if (iv.length !== ivBytes || tag.length !== tagBytes) throw tampered();
  const dataKey = await keys.unwrapKey({ kid: envelope.kid, wrapped: Buffer.from(envelope.wk, 'base64') }, dataKeyAad(context));
  try {
    if (dataKey.length !== dataKeyBytes) throw tampered();
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: tagBytes });
    decipher.setAAD(valueAad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw error instanceof ErrandError ? error : tampered(error);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Re-wraps the data key under the current master key, leaving the encrypted value as it is.
 * Returns null when the envelope already uses the current key.
 */
export async function rewrap(sealed: string, context: SecretContext, keys: KeyProvider): Promise<string | null> {
  const envelope = parseEnvelope(sealed);
  const current = await keys.currentKeyId();
  if (current === null) throw new ErrandError('not_configured', 'no current master key is configured to re-wrap secrets with');
  if (envelope.kid === current) return null;
  const dataKey = await keys.unwrapKey({ kid: envelope.kid, wrapped: Buffer.from(envelope.wk, 'base64') }, dataKeyAad(context));
  try {
    const wrapped = await keys.wrapKey(dataKey, dataKeyAad(context));
    return JSON.stringify({ ...envelope, kid: wrapped.kid, wk: wrapped.wrapped.toString('base64') } satisfies Envelope);
  } finally {
    dataKey.fill(0);
  }
}

/** The master key id an envelope was wrapped with (not secret). */
export function envelopeKeyId(sealed: string): string {
  return parseEnvelope(sealed).kid;
}

function parseEnvelope(sealed: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(sealed);
  } catch (error) {
    throw new ErrandError('secret_unreadable', 'a stored secret is not a readable envelope', { cause: error });
  }
  const result = Envelope.safeParse(json);
  if (!result.success) {
    const version = typeof json === 'object' && json !== null && 'v' in json ? (json as { v: unknown }).v : undefined;
    throw new ErrandError(
      'secret_unreadable',
      version !== undefined && version !== 1 ? `a stored secret uses envelope version ${String(version)}, which this Errand does not know: upgrade Errand` : 'a stored secret is not a valid version 1 envelope',
    );
  }
  return result.data;
}

function tampered(cause?: unknown): ErrandError {
  return new ErrandError('secret_unreadable', 'a secret failed its integrity check: it was altered, moved to another scope, or encrypted with a different key', cause === undefined ? {} : { cause });
}
