import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { InvalidSettingsError, SecretsService, SettingsService, type Principal } from '../../src/core/index.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { EnvKeyProvider } from '../../src/secrets/index.js';
import { createRedisStores, type RedisStores } from '../../src/store/redis/index.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';

const log = pino({ level: 'silent' });
const clock = { now: () => new Date() };
const admin: Principal = { kind: 'slack', workspace: 'T1', id: 'UADMIN', name: 'Ada' };
const member: Principal = { kind: 'slack', workspace: 'T1', id: 'UMEMBER', name: 'Max' };

describe('settings and secrets services', () => {
  let redis: Redis;
  let prefix: string;
  let stores: RedisStores;
  let settings: SettingsService;
  let secrets: SecretsService;

  beforeEach(async () => {
    redis = await testRedis();
    prefix = uniquePrefix('services');
    stores = createRedisStores(redis, {
      prefix,
      clock,
      retentionDays: 3,
      admins: ['slack:T1:UADMIN'],
      keyProvider: new EnvKeyProvider({ ERRAND_MASTER_KEY: randomBytes(32).toString('base64') }),
      scrubber: new Scrubber(),
    });
    settings = new SettingsService({ settings: stores.settings, audit: stores.audit, log });
    secrets = new SecretsService({ secrets: stores.secrets!, settings: stores.settings, audit: stores.audit, log });
  });

  afterEach(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  describe('settings', () => {
    it('lets a bootstrap admin from ERRAND_ADMINS change settings on a fresh install, and keeps them admin afterwards', async () => {
      expect((await settings.get('T1')).admins).toEqual(['slack:T1:UADMIN']);
      const result = await settings.update('T1', admin, { defaultRepo: 'acme/web', privacyMode: true });
      expect(result.changed).toEqual(['defaultRepo', 'privacyMode']);
      const saved = await settings.get('T1');
      expect(saved).toMatchObject({ defaultRepo: 'acme/web', privacyMode: true, admins: ['slack:T1:UADMIN'], retentionDays: 3 });
      await settings.update('T1', admin, { teamFollowUps: 'owner' });
      expect((await settings.get('T1')).teamFollowUps).toBe('owner');
    });

    it('refuses a change from someone who is not an admin, and saves nothing', async () => {
      await expect(settings.update('T1', member, { defaultRepo: 'evil/repo' })).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('admins') });
      expect((await settings.get('T1')).defaultRepo).toBe('');
      expect(await stores.audit.list('T1')).toEqual([]);
    });

    it('accepts a platform admin (Slack workspace owner, GitHub repo admin, API admin key) not listed in admins', async () => {
      const owner: Principal = { kind: 'slack', workspace: 'T1', id: 'UOWNER', name: 'Olga' };
      await expect(settings.update('T1', owner, { networkAgent: 'none' }, { platformAdmin: true })).resolves.toMatchObject({ changed: ['networkAgent'] });
    });

    it('lets an admin add another admin, who can then change settings', async () => {
      await settings.update('T1', admin, { admins: ['slack:T1:UADMIN', 'UMEMBER'] });
      await expect(settings.update('T1', member, { displaySummary: false })).resolves.toMatchObject({ changed: ['displaySummary'] });
    });

    it('refuses unknown and wrong-typed fields, naming each one, and saves nothing', async () => {
      const error = await settings.update('T1', admin, { defaultRepo: 'acme/web', colour: 'blue', retentionDays: 'ten', privacyMode: 'yes', networkAgent: 'bridge' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSettingsError);
      const refused = error as InvalidSettingsError;
      expect(refused.code).toBe('invalid_request');
      expect(refused.fields.sort()).toEqual(['colour', 'networkAgent', 'privacyMode', 'retentionDays']);
      for (const field of refused.fields) expect(refused.message).toContain(field);
      expect(refused.message).toContain('no such setting');
      expect((await settings.get('T1')).defaultRepo).toBe('');
      await expect(settings.update('T1', admin, { retentionDays: 0 })).rejects.toMatchObject({ fields: ['retentionDays'] });
      await expect(settings.update('T1', admin, ['defaultRepo'])).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('writes an audit entry naming the changed settings, without their values', async () => {
      await settings.update('T1', admin, { defaultRepo: 'acme/secret-project', allowlist: ['U7'], privacyMode: false });
      const [entry, ...rest] = await stores.audit.list('T1');
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ workspace: 'T1', actor: 'slack:T1:UADMIN', actorName: 'Ada', action: 'settings.update', target: ['allowlist', 'defaultRepo'] });
      expect(Date.parse(entry!.at)).not.toBeNaN();
      expect(JSON.stringify(entry)).not.toMatch(/secret-project|U7/);
      // A patch that changes nothing writes nothing.
      await settings.update('T1', admin, { defaultRepo: 'acme/secret-project' });
      expect(await stores.audit.list('T1')).toHaveLength(1);
    });
  });

  describe('secrets', () => {
    it('lets admins set and remove workspace secrets, audit-logged by name only', async () => {
      const value = `sk-live-${randomBytes(16).toString('hex')}`;
      await secrets.set(admin, { workspace: 'T1' }, 'STRIPE_KEY', value, { availableToInstall: true });
      expect(await stores.secrets!.resolve({ workspace: 'T1' }, 'install')).toEqual({ STRIPE_KEY: value });
      expect(await secrets.remove(admin, { workspace: 'T1' }, 'STRIPE_KEY')).toBe(true);
      const entries = await stores.audit.list('T1');
      expect(entries.map((e) => [e.action, e.target, e.actor])).toEqual([
        ['secret.remove', ['STRIPE_KEY'], 'slack:T1:UADMIN'],
        ['secret.set', ['STRIPE_KEY'], 'slack:T1:UADMIN'],
      ]);
      expect(JSON.stringify(entries)).not.toContain(value);
    });

    it('refuses workspace secrets from non-admins, and lets a repository admin manage only that repository', async () => {
      await expect(secrets.set(member, { workspace: 'T1' }, 'TOKEN', 'value-123456')).rejects.toMatchObject({ code: 'forbidden' });
      await expect(secrets.set(member, { workspace: 'T1' }, 'TOKEN', 'value-123456', { repoAdmin: true })).rejects.toMatchObject({ code: 'forbidden' });
      await expect(secrets.set(member, { workspace: 'T1', repo: 'acme/web' }, 'TOKEN', 'value-123456')).rejects.toMatchObject({ code: 'forbidden' });
      await secrets.set(member, { workspace: 'T1', repo: 'Acme/Web' }, 'TOKEN', 'value-123456', { repoAdmin: true });
      const [entry] = await stores.audit.list('T1');
      expect(entry).toMatchObject({ action: 'secret.set', target: ['TOKEN'], repo: 'acme/web', actor: 'slack:T1:UMEMBER' });
      expect(await stores.secrets!.list({ workspace: 'T1' })).toEqual([]);
    });

    it('shows secret names to people who may launch, and hides them from people who may not', async () => {
      await secrets.set(admin, { workspace: 'T1' }, 'TOKEN', 'value-123456');
      expect((await secrets.list(member, { workspace: 'T1' })).map((s) => s.name)).toEqual(['TOKEN']);
      await settings.update('T1', admin, { allowlist: ['USOMEONE'] });
      await expect(secrets.list(member, { workspace: 'T1' })).rejects.toMatchObject({ code: 'forbidden' });
    });

    it('refuses invalid names and oversized or empty values with a reason', async () => {
      for (const name of ['npm_token', 'NPM-TOKEN', '9LIVES', '', `A${'B'.repeat(128)}`]) {
        await expect(secrets.set(admin, { workspace: 'T1' }, name, 'value-123456')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('not a valid secret name') });
      }
      await expect(secrets.set(admin, { workspace: 'T1' }, 'BIG', 'é'.repeat(33 * 1024))).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('65536') });
      await expect(secrets.set(admin, { workspace: 'T1' }, 'EMPTY', '')).rejects.toMatchObject({ code: 'invalid_request' });
      expect(await stores.audit.list('T1')).toEqual([]);
    });
  });

  it('keeps the audit log to the retention window and pages through it newest first', async () => {
    for (let i = 0; i < 5; i += 1) {
      await stores.audit.append({ workspace: 'T9', actor: 'api:T9:cli', actorName: 'cli', action: 'agent.stop', target: [`agent-${i}`] });
    }
    const first = await stores.audit.list('T9', { limit: 2 });
    expect(first.map((e) => e.target[0])).toEqual(['agent-4', 'agent-3']);
    const next = await stores.audit.list('T9', { limit: 10, before: first[1]!.id });
    expect(next.map((e) => e.target[0])).toEqual(['agent-2', 'agent-1', 'agent-0']);
    const ttl = await redis.ttl(stores.keys.audit('T9'));
    expect(ttl).toBeGreaterThan(3 * 86_400);
    expect(ttl).toBeLessThanOrEqual(4 * 86_400);
  });
});
