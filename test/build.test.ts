import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../src/redis/local-server.js';
import { testRedisUrl, uniqueInstance } from './support/redis.js';
import { waitFor } from './support/wait.js';

/**
 * `npm run build` output is what production runs: laid out as in the image (bin/, dist/,
 * package.json, node_modules), `node bin/errand.js start` serves the dashboard and /healthz from
 * compiled JavaScript alone. Type checking is left to `tsc --noEmit` (--noCheck keeps this quick).
 */
describe('npm run build', () => {
  const root = resolve(new URL('..', import.meta.url).pathname);
  const app = mkdtempSync(join(tmpdir(), 'errand-build-'));
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('makes a dist/ that bin/errand.js starts (role web), answering /healthz and serving the dashboard assets', async () => {
    const built = spawnSync(process.execPath, ['scripts/build.mjs', '--out-dir', join(app, 'dist'), '--noCheck'], { cwd: root, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    mkdirSync(join(app, 'bin'));
    copyFileSync(join(root, 'bin/errand.js'), join(app, 'bin/errand.js'));
    copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
    symlinkSync(realpathSync(join(root, 'node_modules')), join(app, 'node_modules'));

    const version = spawnSync(process.execPath, [join(app, 'bin/errand.js'), '--version'], { cwd: app, encoding: 'utf8' });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);

    const port = await freePort();
    // No tsx: the compiled code must run without it (a loader would hide a missing file).
    const child = spawn(process.execPath, [join(app, 'bin/errand.js'), 'start', '--role', 'web'], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', HOME: app, REDIS_URL: testRedisUrl(), PORT: String(port), ERRAND_INSTANCE: uniqueInstance('build'), ERRAND_DATA_DIR: join(app, 'data'), LOG_LEVEL: 'warn', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((done) => child.on('exit', done));
    try {
      await waitFor(() => output.includes('Errand is running'), { timeoutMs: 60_000, what: `the banner; output so far: ${output}` });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const login = await (await fetch(`http://127.0.0.1:${port}/login`)).text();
      const script = /\/assets\/dashboard\.[0-9a-f]+\.js/.exec(login)?.[0];
      expect(script).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${port}${script}`)).status).toBe(200);
      expect(spawnSync('ps', ['-o', 'args=', '-p', String(child.pid)], { encoding: 'utf8' }).stdout).not.toContain('tsx');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  }, 240_000);
});
