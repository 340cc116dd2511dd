import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrandError } from '../../src/core/index.js';
import { EnvKeyProvider, FileKeyProvider, masterKeyId, open, parseMasterKey, rewrap, seal, type SecretContext } from '../../src/secrets/index.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const providerA = new EnvKeyProvider({ ERRAND_MASTER_KEY: keyA.toString('base64') });
const here: SecretContext = { workspace: 'T1', repo: 'acme/web', name: 'NPM_TOKEN' };
const value = 'npm_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

async function expectUnreadable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isErrandError(error, 'secret_unreadable')).toBe(true);
  // Failing closed reveals nothing: no part of the value in the message.
  expect(String((error as Error).message)).not.toContain(value);
}

/** Flips one bit in byte `index` of a base64 field of the envelope. */
function flip(sealed: string, field: 'wk' | 'iv' | 'ct' | 'tag', index = 0): string {
  const envelope = JSON.parse(sealed) as Record<string, string>;
  const bytes = Buffer.from(envelope[field] as string, 'base64');
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return JSON.stringify({ ...envelope, [field]: bytes.toString('base64') });
}

describe('envelope encryption', () => {
  it('gives back the exact value it sealed, including unicode and newlines', async () => {
    const multiline = `-----BEGIN KEY-----\nzażółć gęślą jaźń ✓\n${value}\n`;
    expect(await open(await seal(multiline, here, providerA), here, providerA)).toBe(multiline);
  });

  it('stores a versioned envelope with a fresh data key and IV every time, and no value in clear', async () => {
    const one = JSON.parse(await seal(value, here, providerA)) as Record<string, unknown>;
    const two = JSON.parse(await seal(value, here, providerA)) as Record<string, unknown>;
    expect(Object.keys(one).sort()).toEqual(['ct', 'iv', 'kid', 'tag', 'v', 'wk']);
    expect(one.v).toBe(1);
    expect(one.kid).toBe(masterKeyId(keyA));
    expect(Buffer.from(one.iv as string, 'base64')).toHaveLength(12);
    expect(Buffer.from(one.tag as string, 'base64')).toHaveLength(16);
    expect(one.iv).not.toEqual(two.iv);
    expect(one.wk).not.toEqual(two.wk);
    expect(one.ct).not.toEqual(two.ct);
    expect(JSON.stringify(one)).not.toContain(value);
    expect(JSON.stringify(one)).not.toContain(Buffer.from(value).toString('base64'));
  });

  it.each(['ct', 'tag', 'iv', 'wk'] as const)('refuses a value whose %s was altered by one bit', async (field) => {
    const sealed = await seal(value, here, providerA);
    await expectUnreadable(open(flip(sealed, field), here, providerA));
  });

  it('refuses a wrapped data key altered in its own tag (last byte)', async () => {
    const sealed = await seal(value, here, providerA);
    const wkLength = Buffer.from((JSON.parse(sealed) as { wk: string }).wk, 'base64').length;
    await expectUnreadable(open(flip(sealed, 'wk', wkLength - 1), here, providerA));
  });

  it.each([
    ['another workspace', { ...here, workspace: 'T2' }],
    ['another repository', { ...here, repo: 'acme/api' }],
    ['the workspace level', { ...here, repo: null }],
    ['another name', { ...here, name: 'GITHUB_TOKEN' }],
  ])('refuses a secret moved to %s', async (_label, elsewhere) => {
    const sealed = await seal(value, here, providerA);
    await expectUnreadable(open(sealed, elsewhere, providerA));
  });

  it('refuses a value under the wrong master key', async () => {
    const sealed = await seal(value, here, providerA);
    await expectUnreadable(open(sealed, here, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB.toString('hex') })));
  });

  it('refuses a value whose key id was forged to name the wrong master key', async () => {
    const sealed = await seal(value, here, providerA);
    const forged = JSON.stringify({ ...(JSON.parse(sealed) as object), kid: masterKeyId(keyB) });
    await expectUnreadable(open(forged, here, new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB.toString('base64') })));
  });

  it('refuses to decrypt when no master key is configured, and refuses to store with a fix-it message', async () => {
    const sealed = await seal(value, here, providerA);
    const none = new EnvKeyProvider({});
    await expectUnreadable(open(sealed, here, none));
    await expect(seal(value, here, none)).rejects.toMatchObject({ code: 'not_configured', message: expect.stringContaining('ERRAND_MASTER_KEY') });
  });

  it('refuses an envelope of an unknown version or shape', async () => {
    const sealed = JSON.parse(await seal(value, here, providerA)) as object;
    await expect(open(JSON.stringify({ ...sealed, v: 2 }), here, providerA)).rejects.toMatchObject({ code: 'secret_unreadable', message: expect.stringContaining('version 2') });
    await expectUnreadable(open('not json', here, providerA));
    await expectUnreadable(open(JSON.stringify({ ...sealed, extra: 'x' }), here, providerA));
  });

  it('re-wraps the data key under a new master key without touching the encrypted value', async () => {
    const sealed = await seal(value, here, providerA);
    const rotating = new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB.toString('base64'), ERRAND_MASTER_KEY_PREVIOUS: keyA.toString('base64') });
    const moved = await rewrap(sealed, here, rotating);
    expect(moved).not.toBeNull();
    const before = JSON.parse(sealed) as Record<string, string>;
    const after = JSON.parse(moved as string) as Record<string, string>;
    expect(after.kid).toBe(masterKeyId(keyB));
    expect([after.ct, after.iv, after.tag]).toEqual([before.ct, before.iv, before.tag]);
    const onlyB = new EnvKeyProvider({ ERRAND_MASTER_KEY: keyB.toString('base64') });
    expect(await open(moved as string, here, onlyB)).toBe(value);
    expect(await rewrap(moved as string, here, onlyB)).toBeNull();
  });
});

describe('master keys', () => {
  it('accepts 32 bytes as hex, base64 or base64url and refuses anything else with a hint', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex'), 'X')).toEqual(key);
    expect(parseMasterKey(key.toString('base64'), 'X')).toEqual(key);
    expect(parseMasterKey(key.toString('base64url'), 'X')).toEqual(key);
    for (const bad of [randomBytes(16).toString('base64'), 'hunter2', randomBytes(31).toString('hex')]) {
      expect(() => parseMasterKey(bad, 'ERRAND_MASTER_KEY')).toThrow(/ERRAND_MASTER_KEY must be a 32-byte key.*openssl rand -base64 32/);
    }
  });

  it('reads the master key from a file, as text or raw bytes, with retired keys on later lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'errand-key-'));
    const text = join(dir, 'key.txt');
    writeFileSync(text, `${keyB.toString('base64')}\n# retired\n${keyA.toString('hex')}\n`, { mode: 0o600 });
    const sealedWithA = await seal(value, here, providerA);
    const fromFile = new FileKeyProvider(text);
    expect(await fromFile.currentKeyId()).toBe(masterKeyId(keyB));
    expect(await open(sealedWithA, here, fromFile)).toBe(value);

    const raw = join(dir, 'key.bin');
    let bytes = randomBytes(32);
    while (/^[\x20-\x7e]+$/.test(bytes.toString('latin1'))) bytes = randomBytes(32);
    writeFileSync(raw, bytes, { mode: 0o600 });
    const rawProvider = new FileKeyProvider(raw);
    expect(await open(await seal(value, here, rawProvider), here, rawProvider)).toBe(value);
  });

  it('fails closed when the key file is missing', async () => {
    const sealed = await seal(value, here, providerA);
    const missing = new FileKeyProvider(join(tmpdir(), `errand-no-such-key-${randomBytes(4).toString('hex')}`));
    await expectUnreadable(open(sealed, here, missing));
    await expect(seal(value, here, missing)).rejects.toMatchObject({ code: 'not_configured', message: expect.stringContaining('ERRAND_MASTER_KEY_FILE') });
  });
});
