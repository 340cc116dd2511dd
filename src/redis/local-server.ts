import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export interface LocalRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Data directory; AOF files live here when `appendOnly` is on. */
  dir: string;
  port?: number;
  appendOnly?: boolean;
  binary?: string;
  /** requirepass: clients must AUTH with it (it goes into the URL, never into argv). */
  password?: string;
}

export class RedisNotInstalledError extends Error {
  readonly code = 'redis_not_installed';
  constructor() {
    super(
      'redis-server was not found. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`, ' +
        'macOS: `brew install redis`), or point REDIS_URL at a running Redis.',
    );
  }
}

export function hasRedisServer(binary = 'redis-server'): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/**
 * Starts a private redis-server on loopback (used by `npm start` when REDIS_URL is unset, and by
 * the tests). Resolves once it accepts connections.
 */
export async function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  const binary = options.binary ?? 'redis-server';
  if (!hasRedisServer(binary)) throw new RedisNotInstalledError();
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  // The password is read from stdin as a config file ("-"), so `ps` never shows it.
  const child = spawn(
    binary,
    [
      ...(options.password ? ['-'] : []),
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no', '--protected-mode', 'yes', '--daemonize', 'no',
    ],
    { stdio: [options.password ? 'pipe' : 'ignore', 'pipe', 'pipe'] },
  );
  if (options.password) child.stdin?.end(`requirepass ${options.password}\n`);
  await waitForReady(child, port);
  return {
    url: options.password ? `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    stop: () => stopChild(child),
  };
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((done, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/i.test(output)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        done();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`redis-server on port ${port} exited with ${code}: ${output.slice(-500)}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}
