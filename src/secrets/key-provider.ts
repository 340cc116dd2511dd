import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ErrandError } from '../core/index.js';
import { masterKeyId } from './master-key.js';

/** A data key wrapped (encrypted) by a master key; `kid` names the master key, `wrapped` is opaque. */
export interface WrappedKey {
  kid: string;
  wrapped: Buffer;
}

/**
 * Holds the master key(s) and wraps data keys with them. The master key never leaves the provider,
 * so a KMS (AWS KMS Encrypt/Decrypt with the context as EncryptionContext, GCP KMS with it as
 * additional authenticated data, Vault transit) fits behind the same three methods. Errand ships
 * the local providers (environment variable, key file); a KMS provider is future work.
 */
export interface KeyProvider {
  /** The id of the key new data keys are wrapped with, or null when none is configured. */
  currentKeyId(): Promise<string | null>;
  /** Wraps a data key under the current master key, bound to `context`. */
  wrapKey(dataKey: Buffer, context: Buffer): Promise<WrappedKey>;
  /** Unwraps a data key; fails with `secret_unreadable` for a wrong key, wrong context or tampering. */
  unwrapKey(wrapped: WrappedKey, context: Buffer): Promise<Buffer>;
  /**
   * A 32-byte key for `label` derived from the current master key (HKDF-SHA256), for MACs such as
   * artifact download links; null without a master key. Optional: a KMS provider may lack it.
   */
  deriveKey?(label: string): Promise<Buffer | null>;
}

export interface MasterKeys {
  /** Wraps new data keys; null when no key is configured (secrets are then off). */
  current: Buffer | null;
  /** Retired keys still accepted for unwrapping, while `errand secrets rewrap` moves data keys off them. */
  previous: Buffer[];
}

const ivBytes = 12;
const tagBytes = 16;

/**
 * Wraps data keys locally with AES-256-GCM under a 256-bit master key. `wrapped` is
 * iv (12 bytes) ‖ encrypted data key ‖ tag (16 bytes). Keys are loaded once, on first use.
 */
export class LocalKeyProvider implements KeyProvider {
  private loaded: Promise<{ current: { id: string; key: Buffer } | null; byId: Map<string, Buffer> }> | null = null;

  constructor(
    private readonly load: () => Promise<MasterKeys>,
    /** Where the key comes from, for fix-it messages: `ERRAND_MASTER_KEY`, `the key file /etc/errand/key`. */
    private readonly source: string,
  ) {}

  async currentKeyId(): Promise<string | null> {
    return (await this.keys()).current?.id ?? null;
  }

  async wrapKey(dataKey: Buffer, context: Buffer): Promise<WrappedKey> {
    const { current } = await this.keys();
    if (!current) {
      throw new ErrandError('not_configured', `no master key is configured, so secrets cannot be stored: set ${this.source} (make a key with \`openssl rand -base64 32\`)`);
    }
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(context);
    const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { kid: current.id, wrapped: Buffer.concat([iv, encrypted, cipher.getAuthTag()]) };
  }

  async unwrapKey(wrapped: WrappedKey, context: Buffer): Promise<Buffer> {
    let keys;
    try {
      keys = await this.keys();
    } catch (error) {
      throw new ErrandError('secret_unreadable', `secrets cannot be decrypted: the master key from ${this.source} cannot be loaded`, { cause: error });
    }
    if (keys.byId.size === 0) {
      throw new ErrandError('secret_unreadable', `secrets cannot be decrypted: no master key is configured (set ${this.source})`);
    }
    const key = keys.byId.get(wrapped.kid);
    if (!key) {
      throw new ErrandError(
        'secret_unreadable',
        `this secret was encrypted with master key ${wrapped.kid}, which is not configured: restore that key (as the current or a previous key) or set the secret again`,
      );
    }
    if (wrapped.wrapped.length <= ivBytes + tagBytes) throw unreadable();
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, wrapped.wrapped.subarray(0, ivBytes), { authTagLength: tagBytes });
      decipher.setAAD(context);
      decipher.setAuthTag(wrapped.wrapped.subarray(wrapped.wrapped.length - tagBytes));
      return Buffer.concat([decipher.update(wrapped.wrapped.subarray(ivBytes, wrapped.wrapped.length - tagBytes)), decipher.final()]);
    } catch (error) {
      throw unreadable(error);
    }
  }

  async deriveKey(label: string): Promise<Buffer | null> {
    const { current } = await this.keys();
    if (!current) return null;
    return Buffer.from(hkdfSync('sha256', current.key, Buffer.alloc(0), Buffer.from(`errand-derived:${label}`, 'utf8'), 32));
  }

  private keys() {
    this.loaded ??= this.load().then(({ current, previous }) => {
      const byId = new Map<string, Buffer>();
      for (const key of previous) byId.set(masterKeyId(key), key);
      if (current) byId.set(masterKeyId(current), current);
      return { current: current ? { id: masterKeyId(current), key: current } : null, byId };
    });
    // A failed load is retried next time (the file may appear), not cached.
    this.loaded.catch(() => {
      this.loaded = null;
    });
    return this.loaded;
  }
}

function unreadable(cause?: unknown): ErrandError {
  return new ErrandError('secret_unreadable', "a secret's data key failed its integrity check: it was altered, moved to another scope, or wrapped with a different master key", cause === undefined ? {} : { cause });
}
