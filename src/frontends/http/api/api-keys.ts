import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ErrandError, type Clock, type Principal } from '../../../core/index.js';
import type { RedisApiKeyRecords } from '../../../store/redis/api-key-records.js';

/** An API key as stored: never the key itself, only its SHA-256 (keys are 238 random bits). */
export const ApiKeyRecord = z.object({
  id: z.string(),
  /** Unique name, e.g. `alice` or `ci-deploy`. */
  name: z.string(),
  workspace: z.string(),
  /** Who acts when the key is used: the principal `api:<workspace>:<ownerId>`. */
  ownerId: z.string(),
  ownerName: z.string(),
  /** The owner's e-mail, for the `Co-authored-by:` trailer of the agents' commits. */
  ownerEmail: z.string().optional(),
  /** Platform admin of its workspace: settings, secrets, audit, anyone's agents. */
  admin: z.boolean(),
  createdAt: z.string(),
  /** The first characters of the key, to tell keys apart in lists. */
  hint: z.string(),
  hash: z.string(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'> & { lastUsedAt: string | null };

export interface NewApiKey {
  name: string;
  workspace?: string;
  ownerId?: string;
  ownerName?: string;
  /** The owner's e-mail: agents launched with the key credit them as co-author. */
  ownerEmail?: string;
  admin?: boolean;
}

export const defaultApiWorkspace = 'api';
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const keyLength = 40;
const keyPattern = /^err_[A-Za-z0-9]{40}$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Writing "last used" on every request would be a write per read; once a minute is plenty. */
const touchEveryMs = 60_000;

/** `err_` and 40 base62 characters, drawn without modulo bias. */
export function generateApiKey(): string {
  let out = '';
  while (out.length < keyLength) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < keyLength) out += alphabet[byte % 62];
    }
  }
  return `err_${out}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function principalOfKey(key: Pick<ApiKeyRecord, 'workspace' | 'ownerId' | 'ownerName'> & { ownerEmail?: string | undefined }): Principal {
  return { kind: 'api', workspace: key.workspace, id: key.ownerId, name: key.ownerName, ...(key.ownerEmail ? { email: key.ownerEmail } : {}) };
}

/**
 * API keys, kept through the store (RedisApiKeyRecords): records by id, an index from the key's SHA-256 to its id, and last-used times.
 * Created with `errand keys create` on the server host; the key is shown once and never stored.
 */
export class ApiKeyStore {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly records: RedisApiKeyRecords,
    private readonly clock: Clock,
  ) {}

  async create(input: NewApiKey): Promise<{ key: string; info: ApiKeyInfo }> {
    const name = input.name.trim();
    if (!namePattern.test(name)) {
      throw new ErrandError('invalid_request', `\`${name}\` is not a key name: use letters, digits, . _ @ - (at most 64), e.g. alice or ci-deploy`);
    }
    const ownerEmail = input.ownerEmail?.trim();
    if (ownerEmail && !z.email().safeParse(ownerEmail).success) {
      throw new ErrandError('invalid_request', `\`${ownerEmail}\` is not an e-mail address`);
    }
    const workspace = input.workspace?.trim() || defaultApiWorkspace;
    const key = generateApiKey();
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      name,
      workspace,
      ownerId: input.ownerId?.trim() || name.toLowerCase(),
      ownerName: input.ownerName?.trim() || name,
      ...(ownerEmail ? { ownerEmail } : {}),
      admin: input.admin ?? false,
      createdAt: this.clock.now().toISOString(),
      hint: key.slice(0, 8),
      hash: sha256(key),
    };
    if ((await this.all()).some((r) => r.name.toLowerCase() === name.toLowerCase())) {
      throw new ErrandError('conflict', `a key named ${name} exists already: pick another name, or revoke it first (errand keys revoke ${name})`);
    }
    await this.records.add(record.id, record.hash, JSON.stringify(record));
    return { key, info: this.info(record, null) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const used = await this.records.usedTimes();
    return (await this.all()).map((r) => this.info(r, used[r.id] ?? null)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async count(): Promise<number> {
    return this.records.count();
  }

  /** Revokes by id or name; false when there is no such key. */
  async revoke(idOrName: string): Promise<ApiKeyInfo | null> {
    const record = (await this.all()).find((r) => r.id === idOrName || r.name.toLowerCase() === idOrName.toLowerCase());
    if (!record) return null;
    await this.records.remove(record.id, record.hash);
    return this.info(record, null);
  }

  /** The key's record if the key is valid; null otherwise. Records when it was last used. */
  async verify(key: string): Promise<ApiKeyRecord | null> {
    if (!keyPattern.test(key)) return null;
    const hash = sha256(key);
    const id = await this.records.idByHash(hash);
    if (!id) return null;
    const raw = await this.records.get(id);
    const record = raw ? ApiKeyRecord.safeParse(JSON.parse(raw)) : null;
    if (!record?.success) return null;
    // The lookup was by hash already; compare again in constant time so the check never hinges on a
    // lookup structure's timing.
    if (!timingSafeEqual(Buffer.from(record.data.hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    await this.touch(id);
    return record.data;
  }

  private async touch(id: string): Promise<void> {
    const now = this.clock.now();
    if (now.getTime() - (this.touched.get(id) ?? 0) < touchEveryMs) return;
    this.touched.set(id, now.getTime());
    await this.records.touch(id, now.toISOString());
  }

  private async all(): Promise<ApiKeyRecord[]> {
    const raw = await this.records.all();
    return Object.values(raw).flatMap((json) => {
      const parsed = ApiKeyRecord.safeParse(JSON.parse(json));
      return parsed.success ? [parsed.data] : [];
    });
  }

  private info(record: ApiKeyRecord, lastUsedAt: string | null): ApiKeyInfo {
    const { hash: _hash, ...rest } = record;
    return { ...rest, lastUsedAt };
  }
}
