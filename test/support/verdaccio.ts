import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/redis/local-server.js';
import { waitFor } from './wait.js';

/** A real npm registry (Verdaccio) on 127.0.0.1 with no uplinks: it serves only what the test publishes. */
export interface LocalRegistry {
  port: number;
  url: string;
  /** Publishes a tiny package (index.js exporting `message`) with npm itself. */
  publish(name: string, version: string, message: string): Promise<void>;
  close(): Promise<void>;
}

export async function startVerdaccio(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'errand-verdaccio-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(process.execPath, [join('node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(async () => (await fetch(`${url}-/ping`).catch(() => null))?.ok, { timeoutMs: 60_000, what: `verdaccio to listen (${output.slice(-300)})` });
  const user = await fetch(`${url}-/user/org.couchdb.user:errand`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'errand', password: 'errand-test-password' }),
  });
  if (!user.ok) throw new Error(`verdaccio refused the test user: ${user.status} ${await user.text()}`);
  const { token } = (await user.json()) as { token: string };
  return {
    port,
    url,
    async publish(name, version, message) {
      const pkg = join(dir, `pkg-${name}-${version}`);
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
      writeFileSync(join(pkg, 'index.js'), `exports.message = ${JSON.stringify(message)};\n`);
      writeFileSync(join(pkg, '.npmrc'), `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
      await new Promise<void>((resolve, reject) => {
        const npm = spawn('npm', ['publish', '--registry', url, '--userconfig', join(pkg, '.npmrc')], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] });
        let log = '';
        npm.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
        npm.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
        npm.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm publish failed (${code}): ${log.slice(-800)}`))));
      });
    },
    async close() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
