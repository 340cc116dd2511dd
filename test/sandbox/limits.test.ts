import { isErrandError } from '../../src/core/errors.js';
import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const { docker, repo, gitRepo } = sandboxTestBed('limits');
/** Few pids and a small disk, so the limits are reached in a moment. */
const sandbox = testSandbox(docker, { pids: 64, diskMb: 32, memoryMb: 512 });
let handle: SandboxHandle;

beforeAll(async () => {
  const project = gitRepo({ 'README.md': 'limits\n' });
  handle = await sandbox.prepare(recordingSpec(project.dir, repo));
});

async function processCount(): Promise<number> {
  const result = await handle.exec('ls -d /proc/[0-9]* | wc -l');
  return Number(result.output.trim());
}

describe('a machine at its limits', () => {
  it('kills a fork bomb at its timeout although the pid limit is used up, and runs the next command', async () => {
    const before = await processCount();
    const started = Date.now();
    // The bomb fills the pid limit while `sleep` keeps the command in the foreground.
    const result = await handle.exec(':(){ :|:& };: ; sleep 600', { timeoutMs: 3_000 });
    expect(result).toMatchObject({ timedOut: true, aborted: false });
    expect(result.stillRunning).toBeUndefined();
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    await waitFor(async () => (await processCount()) <= before + 1, { what: 'the bomb to be gone' });
    expect(await handle.exec('echo alive; id -un')).toMatchObject({ exitCode: 0, output: 'alive\nerrand\n' });
    expect((await docker.getContainer(handle.containerId).inspect()).State.Running).toBe(true);
  });

  it('ends the orphans a fork bomb leaves when its command returns', async () => {
    const before = await processCount();
    await handle.exec(':(){ :|:& };:', { timeoutMs: 60_000 });
    await waitFor(async () => (await processCount()) <= before + 1, { what: 'the orphans to be gone' });
    expect(await handle.exec('echo alive')).toMatchObject({ exitCode: 0, output: 'alive\n' });
  });

  it('stops a command on abort while the pid limit is used up', async () => {
    const controller = new AbortController();
    const running = handle.exec('for i in $(seq 1 200); do sleep 600 & done 2>/dev/null; sleep 600', { signal: controller.signal });
    await waitFor(async () => {
      const probe = await handle.exec('true').catch(() => null);
      return probe === null || probe.exitCode !== 0;
    }, { what: 'the pid limit to be reached' });
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ aborted: true });
    expect(result.stillRunning).toBeUndefined();
    await waitFor(async () => (await handle.exec('pgrep -c -x sleep || true')).output.trim() === '0', { what: 'the sleeps to be gone' });
  });

  it('caps /tmp at the disk limit and says which limit was reached', async () => {
    const result = await handle.exec('head -c 64M /dev/zero > /tmp/big');
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('No space left on device');
    expect(result.output).toMatch(/\[errand\] no space left on device: the sandbox disk limit .* was reached/);
    expect((await handle.exec('rm /tmp/big; df -m /tmp | tail -1')).output).toMatch(/\s32\s/);
  });

  it('fails an install that fills the disk with the limit named', async () => {
    const project = gitRepo({ '.errand/environment.json': JSON.stringify({ install: 'head -c 64M /dev/zero > /tmp/cache.bin' }) });
    const error = await sandbox.prepare(recordingSpec(project.dir, repo)).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'sandbox_failed')).toBe(true);
    expect((error as Error).message).toMatch(/^install command failed with exit code 1: no space left on device: the sandbox disk limit \(\/tmp holds 32 MB, ERRAND_SANDBOX_DISK_MB is 32\) was reached/);
  });
});
