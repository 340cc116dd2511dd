import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { registerSecrets, type SecretsCliDeps } from '../../src/cli/secrets.js';
import { parseAssignments, registerSettings } from '../../src/cli/settings.js';
import { defaultSettings, SecretsService, SettingsService } from '../../src/core/index.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { EnvKeyProvider } from '../../src/secrets/index.js';
import { createRedisStores, type RedisStores } from '../../src/store/redis/index.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';

const log = pino({ level: 'silent' });

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('errand secrets and errand settings', () => {
  let redis: Redis;
  let prefix: string;
  let stores: RedisStores;

  beforeEach(async () => {
    redis = await testRedis();
    prefix = uniquePrefix('cli');
    stores = createRedisStores(redis, {
      prefix,
      clock: { now: () => new Date() },
      retentionDays: 3,
      keyProvider: new EnvKeyProvider({ ERRAND_MASTER_KEY: randomBytes(32).toString('hex') }),
      scrubber: new Scrubber(),
    });
  });

  afterEach(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  async function run(argv: string[], stdin: NodeJS.ReadableStream = Readable.from([])) {
    const out = sink();
    const err = sink();
    const deps: SecretsCliDeps = {
      secrets: new SecretsService({ secrets: stores.secrets!, settings: stores.settings, audit: stores.audit, log }),
      rewrap: () => stores.secrets!.rewrapAll(),
      defaultWorkspace: 'T1',
      stdin,
      stdout: out.stream,
      stderr: err.stream,
    };
    const program = new Command('errand').exitOverride().configureOutput({ writeErr: (text) => err.stream.write(text) });
    registerSecrets(program, async () => deps);
    registerSettings(program, async () => ({ settings: new SettingsService({ settings: stores.settings, audit: stores.audit, log }), defaultWorkspace: 'T1', stdout: out.stream }));
    await program.parseAsync(argv, { from: 'user' });
    return { out: out.text(), err: err.text() };
  }

  it('sets a secret from piped stdin, lists it by name, and removes it', async () => {
    const value = `ghp_${randomBytes(20).toString('hex')}`;
    const set = await run(['secrets', 'set', 'GH_TOKEN', '--repo', 'acme/web', '--install'], Readable.from([`${value}\n`]));
    expect(set.out).toContain('GH_TOKEN set for acme/web');
    expect(await stores.secrets!.resolve({ workspace: 'T1', repo: 'acme/web' }, 'install')).toEqual({ GH_TOKEN: value });

    const list = await run(['secrets', 'list', '--repo', 'acme/web']);
    expect(list.out).toMatch(/GH_TOKEN\s+yes/);
    expect(list.out).not.toContain(value);
    const [entry] = await stores.audit.list('T1');
    expect(entry).toMatchObject({ actor: 'api:T1:cli', action: 'secret.set', target: ['GH_TOKEN'], repo: 'acme/web' });

    expect((await run(['secrets', 'rm', 'GH_TOKEN', '--repo', 'acme/web'])).out).toContain('GH_TOKEN removed');
    expect((await run(['secrets', 'list', '--repo', 'acme/web'])).out).toContain('no secrets');
  });

  it('never takes a value from the command line', async () => {
    await expect(run(['secrets', 'set', 'GH_TOKEN', 'the-value-itself'], Readable.from(['x']))).rejects.toMatchObject({ code: 'commander.excessArguments' });
  });

  it('reads a typed value without echoing it when stdin is a terminal', async () => {
    const rawModes: boolean[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (mode: boolean) => rawModes.push(mode) });
    const pending = run(['secrets', 'set', 'TYPED_TOKEN'], tty);
    tty.write('typed-secrx');
    tty.write('\u007fet\r');
    const { out, err } = await pending;
    expect(err).toContain('Value for TYPED_TOKEN');
    expect(err + out).not.toContain('typed-secret');
    expect(rawModes).toEqual([true, false]);
    expect(await stores.secrets!.resolve({ workspace: 'T1' }, 'agent')).toEqual({ TYPED_TOKEN: 'typed-secret' });
  });

  it('sets settings as key=value with each value read as its type, and refuses unknown keys by name', async () => {
    const { out } = await run(['settings', 'set', 'defaultRepo=acme/web', 'privacyMode=true', 'retentionDays=7', 'admins=U1, U2', 'channelRepos.C42=acme/api']);
    expect(out).toContain('changed admins, channelRepos, defaultRepo, privacyMode, retentionDays');
    expect(await stores.settings.get('T1')).toMatchObject({ defaultRepo: 'acme/web', privacyMode: true, retentionDays: 7, admins: ['U1', 'U2'], channelRepos: { C42: 'acme/api' } });
    expect(JSON.parse((await run(['settings', 'get', 'retentionDays'])).out)).toBe(7);
    await expect(run(['settings', 'set', 'colour=blue', 'retentionDays=many'])).rejects.toMatchObject({ code: 'invalid_request', fields: ['colour', 'retentionDays'] });
  });

  it('reads map entries and lists the way people type them', () => {
    const current = { ...defaultSettings(), channelRepos: { C1: 'a/b', C2: 'c/d' } };
    expect(parseAssignments(['channelRepos.C1=', 'channelRepos.C3=e/f', 'allowlist=', 'displaySummary=no', 'networkAgent=allowlist', 'networkAllowlist=registry.npmjs.org,*.pypi.org,preset:package-registries'], current)).toEqual({
      channelRepos: { C2: 'c/d', C3: 'e/f' },
      allowlist: [],
      displaySummary: false,
      networkAgent: 'allowlist',
      networkAllowlist: ['registry.npmjs.org', '*.pypi.org', 'preset:package-registries'],
    });
    expect(parseAssignments(['serviceAccounts=["bot-1"]', 'defaultModel=openai:gpt-4.1'], current)).toEqual({ serviceAccounts: ['bot-1'], defaultModel: 'openai:gpt-4.1' });
  });
});
