import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { attachCommand } from '../../src/sandbox/docker/attach.js';
import { recordingSpec, sandboxTestBed } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const { docker, repo, sandbox, gitRepo } = sandboxTestBed('envkeys');

async function run(command: string, handle: SandboxHandle): Promise<string> {
  const result = await handle.exec(command);
  expect(result.exitCode).toBe(0);
  return result.output.trim();
}

describe('environment keys in the machine', () => {
  it('falls back to the base image with one clear line when the snapshot is a settings placeholder', async () => {
    const project = gitRepo({ '.cursor/environment.json': JSON.stringify({ snapshot: 'POPULATED_FROM_SETTINGS', install: 'true' }) });
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);
    const lines = spec.recorded.logs.map((entry) => entry.text).filter((text) => text.includes('POPULATED_FROM_SETTINGS'));
    expect(lines).toEqual(['snapshot "POPULATED_FROM_SETTINGS" is a placeholder Cursor fills from its settings; using the base image errand-base:bookworm (save one with `errand snapshot <agent>`)']);
    expect(await run('cat /etc/debian_version', handle)).toMatch(/^12\./);
  });

  it("runs as the Dockerfile's USER when the environment file names no user", async () => {
    const project = gitRepo({
      '.cursor/environment.json': JSON.stringify({ build: { dockerfile: 'Dockerfile', context: '..' }, install: 'id -un > /tmp/installer' }),
      '.cursor/Dockerfile': `FROM errand-base:bookworm\nRUN useradd -m -u 1234 builder\nUSER builder\nLABEL errand.test=${repo}\n`,
    });
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);
    expect(handle.user).toBe('builder');
    expect(await run('id -un; cat /tmp/installer; stat -c %U README.md', handle)).toBe('builder\nbuilder\nbuilder');
    expect(spec.recorded.text('environment')).toContain("running as builder, the image's USER");
  });

  it('gives agent secrets to start and terminals, and install secrets to install only', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify({
        install: 'echo "install sees [${AGENT_TOKEN:-}] [${NPM_TOKEN:-}]" > /tmp/install-saw',
        start: 'echo "start sees [${AGENT_TOKEN:-}] [${NPM_TOKEN:-}]" > /tmp/start-saw',
        terminals: [{ name: 'dev', command: 'echo "terminal sees [${AGENT_TOKEN:-}] [${NPM_TOKEN:-}]"' }],
      }),
    });
    const spec = recordingSpec(project.dir, repo, { installEnv: { NPM_TOKEN: 'npm-secret' }, agentEnv: { AGENT_TOKEN: 'agent-secret' } });
    const handle = await sandbox.prepare(spec);
    expect(await run('cat /tmp/install-saw /tmp/start-saw', handle)).toBe('install sees [] [npm-secret]\nstart sees [agent-secret] []');
    await waitFor(async () => (await handle.terminalOutput('dev', 20)).includes('terminal sees [agent-secret] []'), { what: 'terminal output with the agent secret' });
  });

  it('never uses a snapshot made in another workspace, nor shows its install secrets', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify({ install: 'echo "//registry/:_authToken=${NPM_TOKEN:-none}" > ~/.npmrc; echo installed' }),
      'package-lock.json': `{"run":"${repo}-tenants"}`,
    });
    const first = recordingSpec(project.dir, repo, { workspace: 'T-alpha', installEnv: { NPM_TOKEN: 'alpha-token' }, installSecretVersions: ['NPM_TOKEN@workspace@1'] });
    const inA = await sandbox.prepare(first);
    expect(await run('cat ~/.npmrc', inA)).toBe('//registry/:_authToken=alpha-token');

    const again = recordingSpec(project.dir, repo, { workspace: 'T-alpha', installEnv: { NPM_TOKEN: 'alpha-token' }, installSecretVersions: ['NPM_TOKEN@workspace@1'] });
    await sandbox.prepare(again);
    expect(again.recorded.milestones.map((m) => m.name)).toContain('install_cached');

    const other = recordingSpec(project.dir, repo, { workspace: 'T-beta' });
    const inB = await sandbox.prepare(other);
    expect(other.recorded.milestones.map((m) => m.name)).toEqual(['environment_ready']);
    expect(other.recorded.text('install')).toContain('installed');
    expect(await run('cat ~/.npmrc', inB)).toBe('//registry/:_authToken=none');
    expect((await inB.exec('grep -rs alpha-token ~ /workspace /tmp')).exitCode).toBe(1);
  });

  it('installs again when an install secret changes version', async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ install: 'echo installed' }), 'uv.lock': `${repo}-versions` });
    await sandbox.prepare(recordingSpec(project.dir, repo, { installSecretVersions: ['TOKEN@workspace@1'] }));
    const bumped = recordingSpec(project.dir, repo, { installSecretVersions: ['TOKEN@workspace@2'] });
    await sandbox.prepare(bumped);
    expect(bumped.recorded.milestones.map((m) => m.name)).toEqual(['environment_ready']);
  });

  it('copies repository dependencies next to /workspace before install', async () => {
    const deps = mkdtempSync(join(tmpdir(), 'errand-deps-'));
    try {
      writeFileSync(join(deps, 'lib.txt'), 'shared library\n');
      const project = gitRepo({ '.errand/environment.json': JSON.stringify({ install: 'cat /workspace-deps/shared-lib/lib.txt > /tmp/from-dep' }) });
      const spec = recordingSpec(project.dir, repo, { dependencies: [{ name: 'shared-lib', dir: deps }] });
      const handle = await sandbox.prepare(spec);
      expect(await run('cat /tmp/from-dep; stat -c %U /workspace-deps /workspace-deps/shared-lib/lib.txt', handle)).toBe('shared library\nerrand\nerrand');
      expect(spec.recorded.text('environment')).toContain('repository dependencies in /workspace-deps/: shared-lib');
    } finally {
      rmSync(deps, { recursive: true, force: true });
    }
  });

  it('tells what the agent changed since the environment became ready, leaving out what install wrote', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify({ install: 'mkdir -p target && echo built > target/.installed && echo generated > gen.txt && echo "install edit" >> README.md', start: 'echo started > start.log' }),
      'src/keep.txt': 'keep\n',
      'src/gone.txt': 'to delete\n',
    });
    const handle = await sandbox.prepare(recordingSpec(project.dir, repo));
    expect(await handle.changesSinceReady()).toEqual({ changed: [], deleted: [] });
    await run('echo "agent edit" >> gen.txt && echo new > src/new.txt && rm src/gone.txt && echo rebuilt > target/.installed && touch start.log', handle);
    expect(await handle.changesSinceReady()).toEqual({ changed: ['gen.txt', 'src/new.txt', 'target/.installed'], deleted: ['src/gone.txt'] });
  });

  it('stops a parked machine and brings it back with its files, start and terminals', async () => {
    const project = gitRepo({
      '.errand/environment.json': JSON.stringify({
        start: 'echo "start ran [${AGENT_TOKEN:-}]" >> /workspace/.starts',
        terminals: [{ name: 'dev', command: 'echo "dev is up [${AGENT_TOKEN:-}]"' }],
      }),
      '.gitignore': '.starts\n',
    });
    const spec = recordingSpec(project.dir, repo, { agentEnv: { AGENT_TOKEN: 'one' } });
    const handle = await sandbox.prepare(spec);
    await run('echo work in progress > notes.txt', handle);

    await sandbox.park(spec.agentId);
    expect((await docker.getContainer(handle.containerId).inspect()).State.Running).toBe(false);

    const logs: string[] = [];
    const found = await sandbox.find(spec.agentId, { env: { AGENT_TOKEN: 'two' }, onLog: (_phase, _stream, text) => logs.push(text) });
    expect(found?.containerId).toBe(handle.containerId);
    expect((await docker.getContainer(handle.containerId).inspect()).State.Running).toBe(true);
    expect(await run('cat notes.txt .starts', found!)).toBe('work in progress\nstart ran [one]\nstart ran [two]');
    expect(await found!.terminals()).toEqual(['dev']);
    await waitFor(async () => (await found!.terminalOutput('dev', 20)).includes('dev is up [two]'), { what: 'the reopened terminal' });
    expect(logs.join('')).toContain('the machine was stopped; running start again');
  });

  it('starts a parked machine for attach with its terminals open', async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ terminals: [{ name: 'logs', command: 'echo tailing logs' }] }) });
    const spec = recordingSpec(project.dir, repo);
    const handle = await sandbox.prepare(spec);
    await sandbox.park(spec.agentId);
    const args = await attachCommand(docker, spec.agentId);
    expect(args.slice(-5)).toEqual(['tmux', 'new-session', '-A', '-s', 'errand']);
    expect(await handle.terminals()).toEqual(['logs']);
  });

  it("starts new agents of the same workspace and repository from a machine saved with errand snapshot, and no one else's", async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ snapshot: 'POPULATED_FROM_SETTINGS', start: 'true' }) });
    const tool = recordingSpec(project.dir, repo, { workspace: 'T-snap' });
    const handle = await sandbox.prepare(tool);
    await run('echo "prepared by hand" > ~/.toolrc', handle);
    await sandbox.park(tool.agentId);
    const imageId = await sandbox.snapshot(tool.agentId, { workspace: 'T-snap', repo });
    const image = await docker.getImage(imageId).inspect();
    expect(image.Config.Labels).toMatchObject({ 'errand.snapshot-kind': 'manual', 'errand.workspace': 'T-snap', 'errand.repo': repo });

    const next = recordingSpec(project.dir, repo, { workspace: 'T-snap' });
    const started = await sandbox.prepare(next);
    expect(await run('cat ~/.toolrc', started)).toBe('prepared by hand');
    expect(next.recorded.text('environment')).toContain('starting from the snapshot saved for this repository');

    const elsewhere = recordingSpec(project.dir, repo, { workspace: 'T-other' });
    const other = await sandbox.prepare(elsewhere);
    expect((await other.exec('test -e ~/.toolrc')).exitCode).toBe(1);
  });
});
