import type { Redis } from 'ioredis';
import { defineScripts, type ScriptedRedis } from './scripts.js';
import { z } from 'zod';
import {
  assertSecretName,
  assertSecretValue,
  ErrandError,
  normalizeSecretScope,
  type Clock,
  type SecretInfo,
  type SecretScope,
  type SecretStore,
} from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import { open, rewrap, seal, type KeyProvider, type SecretContext } from '../../secrets/index.js';
import type { Keys } from './keys.js';

/** One hash field: the sealed value (see src/secrets/envelope.ts) and its non-secret metadata. */
const StoredSecret = z.looseObject({
  sealed: z.string(),
  availableToInstall: z.boolean(),
  updatedAt: z.string(),
});
type StoredSecret = z.infer<typeof StoredSecret>;

export interface RewrapResult {
  /** Secrets whose data key was re-wrapped with the current master key. */
  rewrapped: number;
  /** Secrets already on the current key. */
  current: number;
  /** Secrets that could not be unwrapped (named by scope and name, never by value). */
  failed: { workspace: string; repo?: string; name: string; code: string }[];
}

/**
 * Secrets per workspace and per repository, each sealed under its own data key (envelope
 * encryption). Names and flags are stored beside the sealed value so `list` never decrypts.
 * Secrets carry no TTL: they are configuration, like settings, and stay until removed.
 * Every value `resolve` decrypts is registered with the scrubber, so it is redacted from logs and
 * from everything posted back.
 */
export class RedisSecretStore implements SecretStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
    private readonly keyProvider: KeyProvider,
    private readonly scrubber: Scrubber,
    private readonly clock: Clock,
  ) {
    this.redis = defineScripts(redis);
  }

  async set(given: SecretScope, name: string, value: string, options: { availableToInstall?: boolean } = {}): Promise<void> {
    const scope = normalizeSecretScope(given);
    assertSecretName(name);
    assertSecretValue(name, value);
    const record: StoredSecret = {
      sealed: await seal(value, context(scope, name), this.keyProvider),
      availableToInstall: options.availableToInstall ?? false,
      updatedAt: this.clock.now().toISOString(),
    };
    const multi = this.redis.multi().hset(this.hashKey(scope), name, JSON.stringify(record)).sadd(this.keys.secretWorkspaces(), scope.workspace);
    if (scope.repo) multi.sadd(this.keys.secretRepos(scope.workspace), scope.repo);
    await multi.exec();
    // The value is in this process now; make sure it never leaves it in clear.
    this.scrubber.add(value);
  }

  async list(given: SecretScope): Promise<SecretInfo[]> {
    const scope = normalizeSecretScope(given);
    const entries = await this.read(scope);
    return [...entries]
      .map(([name, record]) => ({ name, scope, availableToInstall: record.availableToInstall, updatedAt: record.updatedAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async remove(given: SecretScope, name: string): Promise<boolean> {
    const scope = normalizeSecretScope(given);
    return (await this.redis.hdel(this.hashKey(scope), name)) > 0;
  }

  /**
   * The secrets a run gets: the workspace's, overlaid by the repository's (a repository secret
   * replaces the workspace secret of the same name, flag and all). For `install`, only those
   * marked available to install. Fails closed: one unreadable secret fails the whole call.
   */
  async resolve(given: SecretScope, phase: 'install' | 'agent'): Promise<Record<string, string>> {
    const scope = normalizeSecretScope(given);
    const merged = new Map<string, { scope: SecretScope; record: StoredSecret }>();
    for (const [name, record] of await this.read({ workspace: scope.workspace })) merged.set(name, { scope: { workspace: scope.workspace }, record });
    if (scope.repo) for (const [name, record] of await this.read(scope)) merged.set(name, { scope, record });
    const wanted = [...merged].filter(([, { record }]) => phase === 'agent' || record.availableToInstall);
    const values = await Promise.all(
      wanted.map(async ([name, entry]) => {
        try {
          return [name, await open(entry.record.sealed, context(entry.scope, name), this.keyProvider)] as const;
        } catch (error) {
          const where = entry.scope.repo ? `${entry.scope.repo} in ${entry.scope.workspace}` : `workspace ${entry.scope.workspace}`;
          const reason = error instanceof ErrandError ? error.message : 'decryption failed';
          throw new ErrandError('secret_unreadable', `secret ${name} of ${where} cannot be decrypted: ${reason}`, { cause: error });
        }
      }),
    );
    for (const [, value] of values) this.scrubber.add(value);
    return Object.fromEntries(values);
  }

  /** Repositories of a workspace that have secrets (some may have had all of them removed since). */
  async repos(workspace: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.secretRepos(workspace))).sort();
  }

  /**
   * After a master key rotation: re-wraps every data key with the current master key. The sealed
   * values are not touched, so no secret is decrypted beyond its data key. Needs the retired key
   * configured as a previous key until this has run.
   */
  async rewrapAll(): Promise<RewrapResult> {
    const result: RewrapResult = { rewrapped: 0, current: 0, failed: [] };
    for (const workspace of await this.redis.smembers(this.keys.secretWorkspaces())) {
      const scopes: SecretScope[] = [{ workspace }, ...(await this.repos(workspace)).map((repo) => ({ workspace, repo }))];
      for (const scope of scopes) {
        for (const [name, { record, raw }] of await this.readRaw(scope)) {
          try {
            const sealed = await rewrap(record.sealed, context(scope, name), this.keyProvider);
            if (sealed === null) {
              result.current += 1;
              continue;
            }
            await this.replaceIfUnchanged(scope, name, raw, { ...record, sealed });
            result.rewrapped += 1;
          } catch (error) {
            result.failed.push({ workspace, ...(scope.repo ? { repo: scope.repo } : {}), name, code: error instanceof ErrandError ? error.code : 'internal' });
          }
        }
      }
    }
    return result;
  }

  private async replaceIfUnchanged(scope: SecretScope, name: string, before: string, after: StoredSecret): Promise<void> {
    const key = this.hashKey(scope);
    // Compare-and-set: a secret set again meanwhile is already on the current key; leave it be.
    await this.redis.errandHashCas(key, name, before, JSON.stringify(after));
  }

  private async read(scope: SecretScope): Promise<Map<string, StoredSecret>> {
    return new Map([...(await this.readRaw(scope))].map(([name, { record }]) => [name, record]));
  }

  private async readRaw(scope: SecretScope): Promise<Map<string, { record: StoredSecret; raw: string }>> {
    const raw = await this.redis.hgetall(this.hashKey(scope));
    const out = new Map<string, { record: StoredSecret; raw: string }>();
    for (const [name, json] of Object.entries(raw)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        parsed = null;
      }
      const result = StoredSecret.safeParse(parsed);
      if (!result.success) throw new ErrandError('secret_unreadable', `the stored record of secret ${name} is damaged; set it again`);
      out.set(name, { record: result.data, raw: json });
    }
    return out;
  }

  private hashKey(scope: SecretScope): string {
    return scope.repo ? this.keys.secretsRepo(scope.workspace, scope.repo) : this.keys.secretsWorkspace(scope.workspace);
  }
}

function context(scope: SecretScope, name: string): SecretContext {
  return { workspace: scope.workspace, repo: scope.repo ?? null, name };
}
