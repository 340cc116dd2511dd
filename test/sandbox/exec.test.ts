import { isErrandError } from '../../src/core/errors.js';
import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';
import { recordingSpec, removeByRepo, testDocker, testSandbox, uniqueRepo } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const docker = testDocker();
const repo = uniqueRepo('exec');
const sandbox = testSandbox(docker);
let project: TestRepo;
let handle: SandboxHandle;

beforeAll(async () => {
  project = makeGitRepo({ 'src/app.txt': 'hello\n' });
  handle = await sandbox.prepare(recordingSpec(project.dir, repo));
});

afterAll(async () => {
  await removeByRepo(docker, repo);
  project.remove();
});

describe('running commands in a sandbox', () => {
  it('returns output and exit code, in /workspace by default', async () => {
    const result = await handle.exec('cat src/app.txt; echo oops >&2; exit 4');
    expect(result).toMatchObject({ exitCode: 4, truncated: false, timedOut: false, aborted: false });
    // stdout and stderr arrive interleaved, in whichever order Docker delivers them.
    expect(result.output.split('\n').sort()).toEqual(['', 'hello', 'oops']);
  });

  it('honours cwd, env, user and stdin', async () => {
    const result = await handle.exec('echo "$(pwd) $GREETING $(id -un)"; tr a-z A-Z', { cwd: '/workspace/src', env: { GREETING: 'hi there' }, user: 'root', stdin: 'from stdin' });
    expect(result.output).toBe('/workspace/src hi there root\nFROM STDIN');
  });

  it('streams output while the command runs', async () => {
    const chunks: string[] = [];
    const result = await handle.exec('for i in 1 2 3; do echo line $i; done; echo err >&2', { onOutput: (stream, text) => chunks.push(`${stream}:${text}`) });
    expect(result.exitCode).toBe(0);
    expect(chunks.filter((c) => c.startsWith('stdout:')).join('').replace(/stdout:/g, '')).toBe('line 1\nline 2\nline 3\n');
    expect(chunks).toContain('stderr:err\n');
  });

  it('keeps the head and tail of long output and marks it truncated', async () => {
    const result = await handle.exec('seq 1 100000', { maxOutputBytes: 1000 });
    expect(result.truncated).toBe(true);
    expect(result.output.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.output.endsWith('99999\n100000\n')).toBe(true);
    expect(result.output).toMatch(/\[… \d+ bytes of output truncated …\]/);
    expect(result.output.length).toBeLessThan(1100);
  });

  it('ends a command that runs past its timeout, leaving the container running', async () => {
    const result = await handle.exec('echo started; sleep 600', { timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, aborted: false, output: 'started\n' });
    expect(result.exitCode).not.toBe(0);
    expect((await handle.exec('echo still alive')).output).toBe('still alive\n');
  });

  it('ends `sleep 600` within seconds when aborted, with its children', async () => {
    const controller = new AbortController();
    const running = handle.exec('sleep 600 & sleep 600', { signal: controller.signal });
    await waitFor(async () => (await handle.exec("pgrep -c -f '^sleep 600'")).output.trim() === '2', { what: 'both sleeps running' });
    controller.abort();
    const result = await running;
    expect(result.aborted).toBe(true);
    expect((await handle.exec("pgrep -f '^sleep 600' || echo none")).output.trim()).toBe('none');
    expect((await docker.getContainer(handle.containerId).inspect()).State.Running).toBe(true);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await handle.exec('touch /tmp/should-not-exist', { signal: controller.signal });
    expect(result.aborted).toBe(true);
    expect((await handle.exec('test -e /tmp/should-not-exist || echo absent')).output).toBe('absent\n');
  });

  it('reads and writes archives of paths in the container', async () => {
    const stream = await handle.readArchive('/workspace/src');
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('latin1')).toContain('src/app.txt');
    await handle.writeArchive('/tmp', Buffer.concat(chunks));
    expect((await handle.exec('cat /tmp/src/app.txt')).output).toBe('hello\n');
  });

  it('rejects with sandbox_failed when the container is killed under a command', async () => {
    const spec = recordingSpec(project.dir, repo);
    const doomed = await sandbox.prepare(spec);
    const running = doomed.exec('sleep 600');
    await waitFor(async () => (await doomed.exec("pgrep -f '^sleep 600' || true")).output.trim() !== '', { what: 'sleep running' });
    await docker.getContainer(doomed.containerId).kill();
    const error = await running.catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'sandbox_failed')).toBe(true);
    expect((error as Error).message).toMatch(/^container exited/);
    const next = await doomed.exec('true').catch((e: unknown) => e as Error);
    expect(isErrandError(next, 'sandbox_failed')).toBe(true);
  });
});
