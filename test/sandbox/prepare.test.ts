import { isErrandError } from '../../src/core/errors.js';
import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { waitFor } from '../support/wait.js';
import { recordingSpec, removeByRepo, sandboxTestBed, testSandbox } from '../support/docker.js';

const { docker, repo, sandbox, gitRepo } = sandboxTestBed('prepare');
/** Lockfile contents unique to this run: snapshot keys then never collide with another run's images. */
const lock = (version: number) => `{"lockfileVersion":3,"v":${version},"run":"${repo}"}`;

const environment = {
  install: 'echo installing deps; mkdir -p node_modules && cp package-lock.json node_modules/.installed-from',
  start: 'echo started > /tmp/started',
  terminals: [
    { name: 'server', command: 'echo server is up; cat node_modules/.installed-from' },
    { name: 'watcher', command: 'echo watching since $(cat /tmp/started)' },
  ],
};

async function run(command: string, handle: SandboxHandle): Promise<string> {
  const result = await handle.exec(command);
  expect(result.exitCode).toBe(0);
  return result.output.trim();
}

describe('preparing a sandbox', () => {
  it('installs, starts and opens terminals whose output the agent can read', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify(environment),
      'package-lock.json': lock(1),
      '.gitignore': 'node_modules\n',
    });
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);

    expect(spec.recorded.text('install')).toContain('installing deps');
    expect(spec.recorded.milestones.map((m) => m.name)).toEqual(['environment_ready']);
    expect(await handle.terminals()).toEqual(['server', 'watcher']);
    await waitFor(async () => (await handle.terminalOutput('server', 20)).includes(lock(1)), { what: 'server terminal output' });
    await waitFor(async () => (await handle.terminalOutput('watcher', 20)).includes('watching since started'), { what: 'watcher terminal output' });

    expect(handle.user).toBe('errand');
    expect(await run('id -un', handle)).toBe('errand');
    expect(await run('pwd', handle)).toBe('/workspace');
    expect(await run('stat -c %U README.md .git node_modules', handle)).toBe('errand\nerrand\nerrand');
    expect(await run('git log --format=%s', handle)).toBe('initial');
  });

  it('reuses the install snapshot when the lockfiles are unchanged, on top of the new checkout', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify(environment),
      'package-lock.json': lock(2),
      '.gitignore': 'node_modules\n',
      'old.txt': 'to be deleted\n',
    });
    const first = recordingSpec(project.dir, repo);
    await sandbox.prepare(first);
    expect(first.recorded.text('install')).toContain('installing deps');

    project.commit({ 'src/new.txt': 'new file\n' }, 'add new.txt');
    await import('node:fs').then((fs) => fs.rmSync(`${project.dir}/old.txt`));
    project.commit({}, 'remove old.txt');

    const second = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(second);
    expect(second.recorded.milestones.map((m) => m.name)).toEqual(['install_cached', 'environment_ready']);
    expect(second.recorded.text('install')).not.toContain('installing deps');
    expect(await run('cat node_modules/.installed-from', handle)).toBe(lock(2));
    expect(await run('cat src/new.txt; test ! -e old.txt && echo old.txt is gone', handle)).toBe('new file\nold.txt is gone');
    expect(await run('git log -1 --format=%s', handle)).toBe('remove old.txt');
    await waitFor(async () => (await handle.terminalOutput('watcher', 20)).includes('watching since started'), { what: 'watcher terminal output' });
  });

  it('installs again when a lockfile changes', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify(environment),
      'package-lock.json': lock(3),
      '.gitignore': 'node_modules\n',
    });
    await sandbox.prepare(recordingSpec(project.dir, repo));
    project.commit({ 'package-lock.json': lock(4) }, 'bump a dependency');

    const again = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(again);
    expect(again.recorded.milestones.map((m) => m.name)).toEqual(['environment_ready']);
    expect(again.recorded.text('install')).toContain('installing deps');
    expect(await run('cat node_modules/.installed-from', handle)).toBe(lock(4));
  });

  it('fails with the last lines of a failing install and saves no snapshot', async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ install: 'echo resolving; echo "E404 no-such-package" >&2; exit 7' }) });
    const before = await docker.listImages({ filters: { label: [`errand.repo=${repo}`, 'errand.snapshot-key'] } });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'sandbox_failed')).toBe(true);
    expect((error as Error).message).toMatch(/install command failed with exit code 7; last lines:\n(resolving\nE404 no-such-package|E404 no-such-package\nresolving)/);
    const after = await docker.listImages({ filters: { label: [`errand.repo=${repo}`, 'errand.snapshot-key'] } });
    expect(after.map((i) => i.Id).sort()).toEqual(before.map((i) => i.Id).sort());
  });

  it('reports a failing start command with its last lines', async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ start: 'echo booting; echo "port 3000 in use" >&2; false' }) });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'sandbox_failed')).toBe(true);
    expect((error as Error).message).toContain('start command failed with exit code 1');
    expect((error as Error).message).toContain('port 3000 in use');
  });

  it('runs as the user the environment names, creating it when the image lacks it', async () => {
    const project = gitRepo({ '.cursor/environment.json': JSON.stringify({ user: 'ubuntu', install: 'touch installed-by-$(id -un)' }) });
    const handle = await sandbox.prepare(recordingSpec(project.dir, repo));
    expect(handle.user).toBe('ubuntu');
    expect(await run('id -un; echo $HOME; stat -c %U README.md installed-by-ubuntu', handle)).toBe('ubuntu\n/home/ubuntu\nubuntu\nubuntu');
    expect(await handle.terminals()).toEqual(['shell']);
  });

  it('falls back to the base image when the snapshot image is unknown', async () => {
    const project = gitRepo({ '.cursor/environment.json': JSON.stringify({ snapshot: 'snapshot-20250525-2f11184f-7221-40af-ab9a-6dfe1637cc86' }) });
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);
    expect(spec.recorded.text('environment')).toContain('snapshot image snapshot-20250525-2f11184f-7221-40af-ab9a-6dfe1637cc86 is a Cursor snapshot id, not an image on this Docker host; using the base image errand-base:bookworm instead');
    expect(await run('cat /etc/debian_version', handle)).toMatch(/^12\./);
  });

  it('starts from a snapshot image the environment names when Docker has it', async () => {
    const tag = `errand-test-snapshot:${repo.split('-').pop()}`;
    const seed = await docker.createContainer({ Image: 'errand-base:bookworm', Cmd: ['sh', '-c', 'echo from-snapshot > /etc/marker'], Labels: { 'errand.repo': repo } });
    await seed.start();
    await seed.wait();
    await seed.commit({ repo: tag.split(':')[0], tag: tag.split(':')[1], Labels: { 'errand.repo': repo } });
    const project = gitRepo({ '.cursor/environment.json': JSON.stringify({ snapshot: tag }) });
    const handle = await sandbox.prepare(recordingSpec(project.dir, repo));
    expect(await run('cat /etc/marker', handle)).toBe('from-snapshot');
  });

  it('keeps only the newest snapshots of a repository', async () => {
    const pruned = `${repo}-pruned`;
    const small = testSandbox(docker, { snapshotsKept: 1 });
    try {
      const project = gitRepo({ '.errand/environment.json': JSON.stringify({ install: 'true' }), 'uv.lock': `a ${repo}` });
      await small.prepare(recordingSpec(project.dir, pruned));
      project.commit({ 'uv.lock': `b ${repo}` });
      await small.prepare(recordingSpec(project.dir, pruned));
      project.commit({ 'uv.lock': `c ${repo}` });
      await small.prepare(recordingSpec(project.dir, pruned));
      const images = await docker.listImages({ filters: { label: [`errand.repo=${pruned}`, 'errand.snapshot-key'] } });
      expect(images).toHaveLength(1);
      const again = recordingSpec(project.dir, pruned);
      await small.prepare(again);
      expect(again.recorded.milestones.map((m) => m.name)).toContain('install_cached');
    } finally {
      await removeByRepo(docker, pruned);
    }
  });

  it('finds an agent container again and removes it', async () => {
    const project = gitRepo({});
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);
    const found = await sandbox.find(spec.agentId);
    expect(found?.containerId).toBe(handle.containerId);
    expect(found?.user).toBe('errand');
    await sandbox.remove(spec.agentId);
    expect(await sandbox.find(spec.agentId)).toBeNull();
  });

  it('says clearly when the base image does not exist', async () => {
    const project = gitRepo({});
    const error = await testSandbox(docker, { baseImage: 'errand-missing-base:none' }).prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'not_configured')).toBe(true);
    expect((error as Error).message).toContain('the base image errand-missing-base:none does not exist and cannot be pulled');
    expect((error as Error).message).toContain('ERRAND_BASE_IMAGE');
  });

  it('says clearly when Docker is unreachable, with a DOCKER_HOST hint', async () => {
    const project = gitRepo({});
    const { createDockerClient } = await import('../../src/sandbox/docker/docker-client.js');
    const unreachable = testSandbox(createDockerClient('unix:///tmp/errand-no-docker.sock'));
    const error = await unreachable.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'unavailable')).toBe(true);
    expect((error as Error).message).toContain('Docker is not reachable at unix:///tmp/errand-no-docker.sock');
    expect((error as Error).message).toContain('DOCKER_HOST');
  });

  it('refuses an environment file that cannot be used, naming it', async () => {
    const project = gitRepo({ '.cursor/environment.json': '{ "install": 42 }' });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'environment_invalid')).toBe(true);
    expect((error as Error).message).toContain('.cursor/environment.json field "install"');
  });
});
