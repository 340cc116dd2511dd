import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startLocalRedis } from '../src/redis/local-server.js';
import { waitFor } from './support/wait.js';

interface Run {
  output: () => string;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Runs `errand start` as a person would, with a clean environment. */
function errandStart(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ERRAND_DATA_DIR: mkdtempSync(join(tmpdir(), 'errand-start-')), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    exit: new Promise((done) => child.on('exit', (code) => done(code))),
    kill: (signal) => child.kill(signal),
  };
}

describe('errand start', () => {
  it('starts with a local Redis when none is configured, says what is not configured, and stops cleanly', async () => {
    const port = await freePort();
    const run = errandStart({ PORT: String(port) });
    await waitFor(() => run.output().includes('Errand is running'), { timeoutMs: 30_000, what: `the banner; output so far: ${run.output()}` });
    expect(run.output()).toContain('(local redis-server');
    expect(run.output()).toMatch(/Slack\s+not configured: set SLACK_BOT_TOKEN/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
    run.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('stops on SIGTERM while its Redis is down, instead of waiting for Redis for ever', async () => {
    const redis = await startLocalRedis({ dir: mkdtempSync(join(tmpdir(), 'errand-start-redis-')) });
    const port = await freePort();
    const run = errandStart({ PORT: String(port), REDIS_URL: redis.url, ERRAND_INSTANCE: 'cli-outage' });
    await waitFor(() => run.output().includes('Errand is running'), { timeoutMs: 30_000, what: `the banner; output so far: ${run.output()}` });
    await redis.stop();
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503 ? true : undefined), { what: 'Errand to notice Redis is gone' });
    run.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  }, 90_000);

  it('stops at boot with one message naming a wrong variable', async () => {
    const run = errandStart({ PORT: 'eighty', ERRAND_ROLE: 'everything' });
    expect(await run.exit).toBe(78);
    expect(run.output()).toContain('PORT:');
    expect(run.output()).toContain('ERRAND_ROLE:');
  });

  it('exits non-zero with a clear message when the configured Redis is unreachable', async () => {
    const port = await freePort();
    const run = errandStart({ REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(run.output()).toContain('Check REDIS_URL');
  });
});
