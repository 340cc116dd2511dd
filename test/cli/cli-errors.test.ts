import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/redis/local-server.js';
import { apiHarness, type ApiHarness } from '../api/harness.js';

/** Runs the errand CLI as a person would, with a clean environment; resolves with its exit and output. */
function errand(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'errand-cli-home-')), ERRAND_DATA_DIR: mkdtempSync(join(tmpdir(), 'errand-cli-data-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
}

/** One line, `errand: ` and the fix; no stack trace. */
const expectOneLine = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^errand: /);
  expect(stderr).not.toMatch(/^\s+at /m);
};

describe('the errand CLI tells what went wrong in one line', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('errand --version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await errand(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('an admin command with Redis unreachable names REDIS_URL', async () => {
    const port = await freePort();
    const result = await errand(['keys', 'list'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(result.stderr).toContain('Check REDIS_URL');
  });

  it('an admin command with no Redis configured and no local Errand says how to start one', async () => {
    const result = await errand(['keys', 'list']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain('set REDIS_URL');
  });

  it('a client command with the server down says to start it or set ERRAND_URL', async () => {
    const port = await freePort();
    const result = await errand(['list'], { ERRAND_URL: `http://127.0.0.1:${port}`, ERRAND_API_KEY: 'err_unused' });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`cannot reach Errand at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('ERRAND_URL');
  });

  it('a client command with a wrong API key says which key it sent and how to get one', async () => {
    const result = await errand(['list'], { ERRAND_URL: h.url, ERRAND_API_KEY: 'err_not_a_real_key_0123456789' });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain('this API key is not valid here');
    expect(result.stderr).toContain('ERRAND_API_KEY');
    expect(result.stderr).toContain('errand login');
  });
});
