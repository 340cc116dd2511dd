import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'jsonc-parser';
import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

/** The default machine image that `npm run setup` builds (scripts/machine-image.sh). */
const machineImage = 'errand-machine:bookworm';
const { docker, repo, gitRepo } = sandboxTestBed('machine');
const sandbox = testSandbox(docker, { baseImage: machineImage });
let handle: SandboxHandle;
let environmentLog: string;

beforeAll(async () => {
  const project = gitRepo({ 'README.md': 'machine\n' });
  const spec = recordingSpec(project.dir, repo);
  handle = await sandbox.prepare(spec);
  environmentLog = spec.recorded.text('environment');
});

async function output(command: string): Promise<string> {
  const result = await handle.exec(command);
  expect(result).toMatchObject({ exitCode: 0 });
  return result.output.trim();
}

/** Host uid of the first process in the container whose command line contains `needle`. */
async function hostUid(needle: string): Promise<string | undefined> {
  const top = (await docker.getContainer(handle.containerId).top({ ps_args: '-o pid,uid,args' })) as { Titles: string[]; Processes: string[][] };
  const uidColumn = top.Titles.indexOf('UID');
  const argsColumn = top.Titles.findIndex((title) => title === 'COMMAND' || title === 'ARGS');
  return top.Processes.find((row) => row[argsColumn]?.includes(needle))?.[uidColumn];
}

const fixturesDir = new URL('../fixtures/environment-json/', import.meta.url);

/** The programs an environment's install and start commands call first in each step (after sudo and VAR=). */
function programsOf(command: string): string[] {
  return command
    .split(/&&|\|\||[;|\n]/)
    .map((step) => step.trim().split(/\s+/).filter((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word)))
    .flatMap((words) => (words[0] === 'sudo' ? ['sudo', ...words.slice(1).filter((w) => !w.startsWith('-')).slice(0, 1)] : words.slice(0, 1)))
    .filter((word) => /^[a-z][\w.-]*$/.test(word));
}

describe('the default machine image', () => {
  it('says which isolation is in effect', () => {
    expect(environmentLog).toContain('isolation: userns, user namespaces (userns-remap)');
  });

  it('runs sudo for the non-root user, and what sudo starts is not root on the host', async () => {
    expect(await output('id -un; id -Gn')).toMatch(/^errand\n.*\bsudo\b/);
    expect(await output('sudo -n sh -c "echo written > /etc/errand-sudo-check; id -u" 2>&1')).toBe('0');
    expect(await output('cat /etc/errand-sudo-check')).toBe('written');
    const controller = new AbortController();
    const running = handle.exec('sudo -n sleep 4242', { signal: controller.signal });
    const uid = await waitFor(() => hostUid('sleep 4242'), { what: 'sudo sleep in docker top' });
    // Root in the machine is the first uid of the remapped range, never the host's root.
    expect(uid).not.toBe('root');
    expect(uid).not.toBe('0');
    expect(Number(uid)).toBeGreaterThanOrEqual(100000);
    controller.abort();
    const result = await running;
    expect(result.aborted).toBe(true);
    expect(result.stillRunning).toBeUndefined();
    await waitFor(async () => (await hostUid('sleep 4242')) === undefined, { what: 'the sudo sleep to be gone' });
  });

  it('resolves its hostname, so sudo does not complain', async () => {
    const result = await handle.exec('sudo -n true');
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.output).not.toContain('unable to resolve host');
    expect(await output('hostname; getent hosts "$(hostname)"')).toMatch(/^errand\n127\.0\.1\.1\s+errand/);
  });

  it('carries Node.js 24 with npm and corepack, Python with pip and venv, and the usual tools', async () => {
    expect(await output('node --version')).toMatch(/^v24\./);
    expect(await output('npm --version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await output('corepack --version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await output('python3 -m pip --version')).toMatch(/^pip \d+/);
    expect(await output('python3 -m venv /tmp/venv && /tmp/venv/bin/python -c "print(42)"')).toBe('42');
    expect(await output('for t in gcc make git curl jq unzip rg tmux ssh less vi xz gpg lsb_release socat; do command -v $t >/dev/null || echo missing $t; done; echo checked')).toBe('checked');
    expect(await output('locale -a | grep -i -c "en_US.utf8"')).toBe('1');
  });

  it('runs pnpm and yarn through corepack shims without a network', async () => {
    expect(await output('cd /tmp && pnpm --version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await output('cd /tmp && yarn --version')).toMatch(/^1\.\d+\.\d+$/);
  });

  it("has every program the real-world environment files' install and start call first", async () => {
    const programs = new Set<string>();
    for (const name of readdirSync(fixturesDir).filter((file) => file.endsWith('.json'))) {
      const file = parse(readFileSync(new URL(name, fixturesDir), 'utf8')) as { install?: string; start?: string };
      for (const command of [file.install, file.start]) if (command) programsOf(command).forEach((program) => programs.add(program));
    }
    expect([...programs]).toEqual(expect.arrayContaining(['pnpm', 'python3', 'yarn', 'npx', 'npm', 'sudo', 'apt-get', 'bash', 'node']));
    const missing = await output(`for p in ${[...programs].sort().join(' ')}; do command -v "$p" >/dev/null || echo "$p"; done; echo end`);
    // cargo comes from moose's own Dockerfile: not the default image's job.
    expect(missing.split('\n')).toEqual(['cargo', 'end']);
  });

  it('sends apt through the egress proxy on the machine loopback', async () => {
    expect(await output('cat /etc/apt/apt.conf.d/95errand-proxy')).toContain('Acquire::http::Proxy "http://127.0.0.1:3128";');
    expect(await output('grep -c bookworm-security /etc/apt/sources.list')).toBe('1');
  });

  it('fails `sudo service docker start` and `dockerd` with one line naming the reason', async () => {
    for (const command of ['sudo -n service docker start', 'dockerd', 'docker ps']) {
      const result = await handle.exec(command);
      expect(result.exitCode).toBe(1);
      expect(result.output).toContain("Docker is not available inside Errand's agent machines: it would need a privileged container.");
      expect(result.output).toContain('[errand] Docker cannot run inside the machine');
    }
  });

  it('fails an install that needs Docker naming the step and the reason', async () => {
    const project = gitRepo({ '.cursor/environment.json': JSON.stringify({ install: 'sudo service docker start && echo never' }) });
    const error = await testSandbox(docker, { baseImage: machineImage }).prepare(recordingSpec(project.dir, repo)).then(() => new Error('prepared'), (e: unknown) => e as Error);
    expect(error.message).toMatch(/^install command failed with exit code 1: Docker cannot run inside the machine \(it would need a privileged container\): take .* out of install/);
  });
});
