import { failureHint } from '../../src/sandbox/docker/failure-hint.js';
import { hardening, machineCapabilities, privileges, rootCapabilities } from '../../src/sandbox/docker/hardening.js';
import { describeIsolation, detectIsolation, isolationOf, sudoOffReason } from '../../src/sandbox/docker/isolation.js';
import { joinGroup } from '../../src/sandbox/docker/users.js';
import { testDocker } from '../support/docker.js';

const limits = { memoryMb: 512, cpus: 1, pids: 128 };

describe("the engine's isolation", () => {
  it('is read from the security options docker info reports', () => {
    expect(isolationOf({ SecurityOptions: ['name=seccomp,profile=default', 'name=userns'] })).toBe('userns');
    expect(isolationOf({ SecurityOptions: ['name=seccomp,profile=default', 'name=rootless', 'name=cgroupns'] })).toBe('rootless');
    expect(isolationOf({ SecurityOptions: ['name=apparmor', 'name=seccomp,profile=default'] })).toBe('none');
    expect(isolationOf({ SecurityOptions: null })).toBe('none');
  });

  it('is userns on this machine, whose engine runs with --userns-remap', async () => {
    expect(await detectIsolation(testDocker())).toBe('userns');
  });

  it('gives sudo its capabilities, without no-new-privileges, where root in the machine is not root on the host', () => {
    for (const isolation of ['userns', 'rootless'] as const) {
      expect(privileges(isolation, false)).toEqual({ capAdd: machineCapabilities, noNewPrivileges: false, sudo: true });
      const config = hardening(limits, { network: 'none', root: false, isolation });
      expect(config.SecurityOpt).toEqual([]);
      expect(config.CapDrop).toEqual(['ALL']);
      expect(config.CapAdd).toEqual(expect.arrayContaining(['SETUID', 'SETGID', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'AUDIT_WRITE', 'KILL']));
      expect(config.Privileged).toBe(false);
    }
  });

  it('refuses sudo and keeps no-new-privileges where root in the machine would be root on the host', () => {
    expect(privileges('none', false)).toEqual({ capAdd: [], noNewPrivileges: true, sudo: false });
    expect(privileges('none', true)).toEqual({ capAdd: rootCapabilities, noNewPrivileges: true, sudo: false });
    expect(hardening(limits, { network: 'none', root: false, isolation: 'none' })).toMatchObject({ SecurityOpt: ['no-new-privileges'], CapAdd: [] });
    expect(describeIsolation('none')).toMatch(/sudo is off; run `npm run setup` to enable userns-remap or use rootless Docker/);
  });

  it('names why sudo failed, with the fix, when the isolation keeps it off', () => {
    const output = 'sudo: The "no new privileges" flag is set, which prevents sudo from running as root.\nsudo: If sudo is running in a container, you may need to adjust the container configuration to disable the flag.';
    expect(failureHint(output, { phase: 'install', sudo: false })).toBe(sudoOffReason);
    expect(sudoOffReason).toContain('the Docker engine runs without user namespaces, so root in the machine would be root on the host');
  });
});

describe('failure hints', () => {
  it('names a tool missing from the image and the fix', () => {
    expect(failureHint('bash: line 1: pnpm: command not found', { phase: 'install', sudo: true })).toBe(
      '`pnpm` is not in the image: add it in build.dockerfile or use the default image (errand-machine:bookworm)',
    );
    expect(failureHint('sh: 1: yarn: not found', { phase: 'start', sudo: true })).toMatch(/^`yarn` is not in the image/);
  });

  it('says Docker cannot run inside the machine', () => {
    const output = "Docker is not available inside Errand's agent machines: it would need a privileged container.";
    expect(failureHint(output, { phase: 'start', sudo: true })).toMatch(/^Docker cannot run inside the machine .*take `dockerd`\/`service docker start` out of start/);
  });

  it('names the disk and pid limits', () => {
    expect(failureHint('write error: No space left on device', { phase: 'install', sudo: true, diskMb: 2048, tmpMb: 1024 })).toMatch(
      /^no space left on device: the sandbox disk limit \(\/tmp holds 1024 MB, ERRAND_SANDBOX_DISK_MB is 2048\) was reached/,
    );
    expect(failureHint('bash: fork: retry: Resource temporarily unavailable', { phase: 'install', sudo: true, pids: 256 })).toMatch(/process limit of 256 was reached/);
  });

  it('stays quiet about failures it does not know', () => {
    expect(failureHint('npm ERR! Test failed.  See above for more details.', { phase: 'install', sudo: true })).toBeNull();
  });
});

describe('the sudo group', () => {
  it("adds the user to an existing group's members once", () => {
    const group = 'root:x:0:\nsudo:x:27:\nerrand:x:1000:\n';
    const joined = joinGroup(group, 'sudo', 'ubuntu');
    expect(joined).toBe('root:x:0:\nsudo:x:27:ubuntu\nerrand:x:1000:\n');
    expect(joinGroup(joinGroup(joined, 'sudo', 'dev'), 'sudo', 'dev')).toBe('root:x:0:\nsudo:x:27:ubuntu,dev\nerrand:x:1000:\n');
    expect(joinGroup('root:x:0:\n', 'sudo', 'ubuntu')).toBe('root:x:0:\n');
  });
});
