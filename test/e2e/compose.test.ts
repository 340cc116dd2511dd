import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { testDocker } from '../support/docker.js';
import type { FakeStep } from '../support/fake-openai.js';
import { makeGitRepo } from '../support/git-repo.js';
import { freePort } from '../../src/redis/local-server.js';
import { uniqueInstance } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * What an operator does, in CI: build Errand's image (from local base images, offline), bring
 * docker-compose.yml up with Debian's docker-compose v1 (Redis with AOF and a password, web, two
 * workers, the one-shot services), create an admin key with the CLI inside the web container,
 * launch an agent through the API on a git repository the workers can reach, see it finish and
 * push, and take everything down with its volumes. The model is the fake OpenAI server, run as a
 * service of the stack from the same image.
 */
const root = resolve(new URL('../..', import.meta.url).pathname);
const project = `errand-ci-${randomBytes(3).toString('hex')}`;
const instance = uniqueInstance('compose');
// A fixed tag, kept between runs: the next build reuses its layers (npm ci only reruns when
// package-lock.json changes).
const image = 'errand-ci:compose';
const files = {
  'greet.sh': 'echo "hello wrld"\n',
  'test.sh': '[ "$(sh greet.sh)" = "hello world" ] && echo PASS || { echo FAIL; exit 1; }\n',
};
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const script: FakeStep[] = [
  { label: 'edit', reply: call('edit_file', { path: 'greet.sh', old_string: 'wrld', new_string: 'world' }) },
  { label: 'test', reply: call('run', { command: 'sh test.sh' }) },
  { label: 'finish', expect: { lastMessageIncludes: 'PASS' }, reply: call('finish', { summary: 'Fixed the greeting; sh test.sh passes.' }) },
];

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd: root, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
      else done(stdout);
    });
  });
}

describe('docker compose: image, stack, an agent end to end', () => {
  const work = mkdtempSync(join(tmpdir(), 'errand-compose-'));
  const dataDir = join(work, 'data');
  const envFile = join(work, 'errand.env');
  const override = join(work, 'compose.test.yml');
  const repo = makeGitRepo(files);
  repo.commit({}, 'initial');
  const remote = join(work, 'widgets.git');
  let port = 0;
  let key = '';
  let env: NodeJS.ProcessEnv = {};
  const compose = (args: string[], timeoutMs?: number) =>
    run('docker-compose', ['--project-name', project, '--project-directory', root, '--env-file', envFile, '-f', join(root, 'docker-compose.yml'), '-f', override, ...args], {
      env,
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  beforeAll(async () => {
    const docker = testDocker();
    for (const base of ['errand-node:24', 'errand-redis:bookworm', 'errand-base:bookworm']) {
      await docker.getImage(base).inspect().catch(() => {
        throw new Error(`${base} is missing: run scripts/setup.sh (it builds the local base images)`);
      });
    }
    port = await freePort();
    execFileSync('git', ['clone', '--quiet', '--bare', repo.dir, remote]);
    // The worker runs as uid 10001 and pushes here: the repository is its.
    for (const entry of [remote, ...readdirSync(remote, { recursive: true }).map((path) => join(remote, String(path)))]) chownSync(entry, 10001, 10001);
    writeFileSync(join(work, 'script.json'), JSON.stringify(script));
    writeFileSync(
      envFile,
      [
        `ERRAND_INSTANCE=${instance}`,
        'ERRAND_MODEL=openai:scripted',
        'OPENAI_BASE_URL=http://fake-model:8080/v1',
        'OPENAI_API_KEY=sk-compose-test-0123456789abcdef',
        'ERRAND_LOCAL_REPOS=allow',
        'ERRAND_BASE_IMAGE=errand-base:bookworm',
        'ERRAND_STALLED_INTERVAL_MS=5000',
        'LOG_LEVEL=info',
        '',
      ].join('\n'),
    );
    writeFileSync(
      override,
      [
        'services:',
        '  fake-model:',
        `    image: ${image}`,
        '    command: ["node", "--import", "tsx", "/app/test-support/fake-openai-main.ts", "/app/script.json"]',
        '    environment: { PORT: "8080" }',
        '    healthcheck: { disable: true }',
        `    volumes: ["${join(root, 'test/support')}:/app/test-support:ro", "${join(work, 'script.json')}:/app/script.json:ro"]`,
        '  worker:',
        `    volumes: ["${work}/widgets.git:${work}/widgets.git"]`,
        '',
      ].join('\n'),
    );
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      ERRAND_IMAGE: image,
      ERRAND_ENV_FILE: envFile,
      ERRAND_DATA_DIR: dataDir,
      ERRAND_BASE_IMAGE: 'errand-base:bookworm',
      ERRAND_PORT: String(port),
      REDIS_PASSWORD: randomBytes(16).toString('hex'),
      DOCKER_GID: String(statSync('/var/run/docker.sock').gid),
      NODE_IMAGE: 'errand-node:24',
      REDIS_IMAGE: 'errand-redis:bookworm',
      TSC_FLAGS: '--noCheck',
    };
    // Build containers have no network here: npm ci reads the packages from this machine's npm cache.
    await run(process.execPath, ['scripts/npm-offline-cache.mjs']);
    await compose(['build', 'web'], 15 * 60_000);
    await compose(['up', '-d', '--scale', 'worker=2'], 5 * 60_000);
  }, 25 * 60_000);

  afterAll(async () => {
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '20'], 5 * 60_000).catch((error: unknown) => console.error(error));
    const docker = testDocker();
    for (const container of await docker.listContainers({ all: true, filters: { label: [`errand.install=${instance}`] } })) {
      await docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const leftover of await docker.listImages({ filters: { label: [`errand.install=${instance}`] } })) {
      await docker.getImage(leftover.Id).remove({ force: true }).catch(() => undefined);
    }
    repo.remove();
    rmSync(work, { recursive: true, force: true });
  }, 10 * 60_000);

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      signal: AbortSignal.timeout(30_000),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('serves /healthz from the web container, runs two workers, and takes an admin key from the CLI', async () => {
    // Docker's port proxy accepts connections before the container listens: each try has a deadline.
    const healthz = () => fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
    await waitFor(async () => (await healthz())?.ok, { timeoutMs: 120_000, intervalMs: 500, what: 'web /healthz' });
    const workers = (await compose(['ps', '-q', 'worker'])).trim().split('\n').filter(Boolean);
    expect(workers).toHaveLength(2);
    // Each worker answers /readyz on its own port: Redis, the queue and the host's Docker engine reachable.
    const readyz = "fetch('http://127.0.0.1:3001/readyz').then(async (r) => console.log(r.status, await r.text()), (e) => console.log(0, String(e)))";
    for (const worker of workers) {
      const answer = await waitFor(
        async () => {
          const out = (await run('docker', ['exec', worker, 'node', '-e', readyz])).trim();
          return out.startsWith('200 ') ? out : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1000, what: `worker ${worker.slice(0, 12)} /readyz` },
      );
      expect(JSON.parse(answer.slice(4))).toMatchObject({ ready: true, redis: 'up', queue: 'up', docker: 'up' });
    }
    key = (await compose(['exec', '-T', 'web', 'node', 'bin/errand.js', 'keys', 'create', '--name', 'ci', '--admin'])).trim().split('\n').pop() ?? '';
    expect(key).toMatch(/^err_/);
    const health = await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', (await compose(['ps', '-q', 'web'])).trim()]);
    expect(['starting', 'healthy']).toContain(health.trim());
  }, 180_000);

  it('launches an agent through the API; a worker runs it in a machine on the host engine and pushes its branch', async () => {
    const launched = await api('/v0/agents', { method: 'POST', body: JSON.stringify({ prompt: { text: 'fix the greeting' }, source: { repository: remote, ref: 'main' } }) });
    expect(launched.status).toBe(201);
    const id = String(launched.body['id']);
    const done = await waitFor(
      async () => {
        const { body } = await api(`/v0/agents/${id}`);
        return ['FINISHED', 'ERROR'].includes(String(body['status'])) ? body : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000, what: 'the agent to finish' },
    );
    expect(done).toMatchObject({ status: 'FINISHED', summary: expect.stringContaining('Fixed the greeting') });
    const branch = String((done['target'] as { branchName: string }).branchName);
    expect(execFileSync('git', ['--git-dir', remote, 'show', `${branch}:greet.sh`], { encoding: 'utf8' })).toBe('echo "hello world"\n');
  }, 300_000);
});
