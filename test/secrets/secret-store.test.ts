import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { isErrandError } from '../../src/core/index.js';
import { createLogger } from '../../src/logger.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { EnvKeyProvider, masterKeyId } from '../../src/secrets/index.js';
import { Keys, RedisSecretStore } from '../../src/store/redis/index.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';

const clock = { now: () => new Date() };
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

/** Every key under the prefix with every value it holds, whatever its type, as one string. */
async function dumpEverything(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else parts.push(`unknown type ${type}`);
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

describe('RedisSecretStore', () => {
  let redis: Redis;
  let prefix: string;
  let keys: Keys;
  let scrubber: Scrubber;
  let store: RedisSecretStore;

  beforeEach(async () => {
    redis = await testRedis();
    prefix = uniquePrefix('secrets');
    keys = new Keys(prefix);
    scrubber = new Scrubber();
    store = new RedisSecretStore(redis, keys, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyA }), scrubber, clock);
  });

  afterEach(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('keeps no secret value in clear anywhere in Redis', async () => {
    const values = {
      NPM_TOKEN: 'npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
      DATABASE_URL: 'postgres://app:s3cr3t-p4ss@db.internal:5432/app',
      DEPLOY_KEY: `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(48).toString('base64')}\n-----END OPENSSH PRIVATE KEY-----`,
    };
    await store.set({ workspace: 'T1' }, 'NPM_TOKEN', values.NPM_TOKEN, { availableToInstall: true });
    await store.set({ workspace: 'T1', repo: 'acme/web' }, 'DATABASE_URL', values.DATABASE_URL);
    await store.set({ workspace: 'T1', repo: 'acme/web' }, 'DEPLOY_KEY', values.DEPLOY_KEY);
    const dump = await dumpEverything(redis, prefix);
    expect(dump).toContain('NPM_TOKEN');
    for (const value of Object.values(values)) {
      for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex'), JSON.stringify(value).slice(1, -1)]) {
        expect(dump).not.toContain(form);
      }
      // Not even a recognisable piece of it.
      expect(dump).not.toContain(value.slice(4, 16));
    }
    expect(dump).not.toContain(keyA);
  });

  it('lists names and flags, never values', async () => {
    await store.set({ workspace: 'T1' }, 'NPM_TOKEN', 'npm-value-123456', { availableToInstall: true });
    await store.set({ workspace: 'T1' }, 'API_KEY', 'api-value-123456');
    const listed = await store.list({ workspace: 'T1' });
    expect(listed.map(({ name, availableToInstall }) => ({ name, availableToInstall }))).toEqual([
      { name: 'API_KEY', availableToInstall: false },
      { name: 'NPM_TOKEN', availableToInstall: true },
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/value-123456/);
    expect(await store.list({ workspace: 'T1', repo: 'acme/web' })).toEqual([]);
  });

  it('gives the install step only secrets marked for it, and the agent all of them, repo secrets winning', async () => {
    const ws = { workspace: 'T1' };
    const repo = { workspace: 'T1', repo: 'acme/web' };
    await store.set(ws, 'NPM_TOKEN', 'workspace-npm-token', { availableToInstall: true });
    await store.set(ws, 'SENTRY_DSN', 'workspace-sentry-dsn');
    await store.set(ws, 'REGISTRY_TOKEN', 'workspace-registry', { availableToInstall: true });
    await store.set(repo, 'NPM_TOKEN', 'repo-npm-token', { availableToInstall: true });
    await store.set(repo, 'REGISTRY_TOKEN', 'repo-registry-not-for-install');
    await store.set(repo, 'DATABASE_URL', 'repo-database-url');

    expect(await store.resolve(repo, 'agent')).toEqual({
      NPM_TOKEN: 'repo-npm-token',
      SENTRY_DSN: 'workspace-sentry-dsn',
      REGISTRY_TOKEN: 'repo-registry-not-for-install',
      DATABASE_URL: 'repo-database-url',
    });
    // The repo's REGISTRY_TOKEN replaces the workspace one, flag and all: install gets neither.
    expect(await store.resolve(repo, 'install')).toEqual({ NPM_TOKEN: 'repo-npm-token' });
    expect(await store.resolve(ws, 'install')).toEqual({ NPM_TOKEN: 'workspace-npm-token', REGISTRY_TOKEN: 'workspace-registry' });
    // Another repository sees only the workspace's secrets; the spelling of a repo does not matter.
    expect(await store.resolve({ workspace: 'T1', repo: 'acme/api' }, 'agent')).toEqual({
      NPM_TOKEN: 'workspace-npm-token',
      SENTRY_DSN: 'workspace-sentry-dsn',
      REGISTRY_TOKEN: 'workspace-registry',
    });
    expect((await store.resolve({ workspace: 'T1', repo: 'https://github.com/Acme/Web.git' }, 'agent')).DATABASE_URL).toBe('repo-database-url');
    // Other workspaces see nothing.
    expect(await store.resolve({ workspace: 'T2', repo: 'acme/web' }, 'agent')).toEqual({});
  });

  it('redacts every resolved value from log lines and free text', async () => {
    const value = `tok_${randomBytes(12).toString('hex')}`;
    await store.set({ workspace: 'T1' }, 'SERVICE_TOKEN', value);
    // A fresh process (the worker) knows nothing until it resolves.
    const workerScrubber = new Scrubber();
    const worker = new RedisSecretStore(redis, keys, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyA }), workerScrubber, clock);
    expect(workerScrubber.scrub(`curl -H "Authorization: ${value}"`)).toContain(value);
    const env = await worker.resolve({ workspace: 'T1' }, 'agent');
    expect(env.SERVICE_TOKEN).toBe(value);

    expect(workerScrubber.scrub(`the command printed ${value} twice: ${value}`)).toBe('the command printed [redacted] twice: [redacted]');
    const lines: string[] = [];
    const log = createLogger({
      scrubber: workerScrubber,
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    log.info({ output: `npm ERR! 401 with token ${value}`, nested: { argv: ['--token', value] } }, `install failed for ${value}`);
    log.error({ err: new Error(`request with ${value} refused`) }, 'request failed');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(value);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('fails closed when a sealed value is moved to another scope or name in Redis', async () => {
    await store.set({ workspace: 'T1', repo: 'acme/web' }, 'DATABASE_URL', 'postgres://u:p@acme-web-db/app');
    const sealed = (await redis.hget(keys.secretsRepo('T1', 'acme/web'), 'DATABASE_URL')) as string;
    // Someone with Redis access copies it to another repo, to the workspace, and under another name.
    await redis.hset(keys.secretsRepo('T1', 'acme/api'), 'DATABASE_URL', sealed);
    await redis.sadd(keys.secretRepos('T1'), 'acme/api');
    await expect(store.resolve({ workspace: 'T1', repo: 'acme/api' }, 'agent')).rejects.toMatchObject({ code: 'secret_unreadable', message: expect.stringContaining('DATABASE_URL') });
    await redis.del(keys.secretsRepo('T1', 'acme/api'));
    await redis.hset(keys.secretsWorkspace('T1'), 'OTHER_NAME', sealed);
    await expect(store.resolve({ workspace: 'T1' }, 'agent')).rejects.toMatchObject({ code: 'secret_unreadable', message: expect.stringContaining('OTHER_NAME') });
  });

  it('fails closed with a wrong or missing master key and logs nothing in clear', async () => {
    const value = 'wrong-key-secret-value-42';
    await store.set({ workspace: 'T1' }, 'TOKEN', value);
    for (const provider of [new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB }), new EnvKeyProvider({})]) {
      const other = new RedisSecretStore(redis, keys, provider, new Scrubber(), clock);
      const error = await other.resolve({ workspace: 'T1' }, 'agent').catch((e: unknown) => e);
      expect(isErrandError(error, 'secret_unreadable')).toBe(true);
      expect(JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) })).not.toContain(value);
    }
  });

  it('removes a secret, and says whether there was one', async () => {
    await store.set({ workspace: 'T1', repo: 'acme/web' }, 'TOKEN', 'value-to-remove');
    expect(await store.remove({ workspace: 'T1', repo: 'Acme/Web' }, 'TOKEN')).toBe(true);
    expect(await store.remove({ workspace: 'T1', repo: 'acme/web' }, 'TOKEN')).toBe(false);
    expect(await store.resolve({ workspace: 'T1', repo: 'acme/web' }, 'agent')).toEqual({});
  });

  it('refuses bad names and oversized values before storing anything', async () => {
    await expect(store.set({ workspace: 'T1' }, 'lower_case', 'x-value-1')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(store.set({ workspace: 'T1' }, '1ABC', 'x-value-1')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(store.set({ workspace: 'T1' }, 'BIG', 'x'.repeat(64 * 1024 + 1))).rejects.toMatchObject({ code: 'invalid_request' });
    await store.set({ workspace: 'T1' }, 'JUST_FITS', 'x'.repeat(64 * 1024));
    expect((await store.list({ workspace: 'T1' })).map((s) => s.name)).toEqual(['JUST_FITS']);
  });

  it('after a master key rotation, re-wraps every data key so the old key can be retired', async () => {
    await store.set({ workspace: 'T1' }, 'A_TOKEN', 'value-a-123456');
    await store.set({ workspace: 'T2', repo: 'acme/web' }, 'B_TOKEN', 'value-b-123456');
    const rotating = new RedisSecretStore(redis, keys, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB, ERRAND_MASTER_KEY_PREVIOUS: keyA }), new Scrubber(), clock);
    expect(await rotating.rewrapAll()).toEqual({ rewrapped: 2, current: 0, failed: [] });
    expect(await rotating.rewrapAll()).toEqual({ rewrapped: 0, current: 2, failed: [] });
    const sealed = JSON.parse((await redis.hget(keys.secretsWorkspace('T1'), 'A_TOKEN')) as string) as { sealed: string };
    expect((JSON.parse(sealed.sealed) as { kid: string }).kid).toBe(masterKeyId(Buffer.from(keyB, 'base64')));
    const onlyNew = new RedisSecretStore(redis, keys, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB }), new Scrubber(), clock);
    expect(await onlyNew.resolve({ workspace: 'T2', repo: 'acme/web' }, 'agent')).toEqual({ B_TOKEN: 'value-b-123456' });
    expect(await onlyNew.resolve({ workspace: 'T1' }, 'agent')).toEqual({ A_TOKEN: 'value-a-123456' });
  });
});
