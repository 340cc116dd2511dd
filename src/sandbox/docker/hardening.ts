import type Docker from 'dockerode';
import { sudoAllowed, type Isolation } from './isolation.js';

export interface HardeningOptions {
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Size limit of /tmp and, where the engine can cap a container's disk, of the machine's files. */
  diskMb?: number;
}

/**
 * Capabilities root needs for package managers (apt drops to the `_apt` user and chowns its
 * files; dpkg sets owners and modes). Only granted when the environment's user is root; an
 * unprivileged user gets none, and no-new-privileges keeps setuid binaries (sudo) from adding any.
 */
export const rootCapabilities = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'];

/**
 * Where root in the machine is not root on the host (user namespaces, rootless), every machine gets
 * what sudo and package managers need, for any user: root's set plus AUDIT_WRITE (sudo and su log
 * through the audit socket) and KILL (root, sudo'd or Errand's kill supervisor, may end the user's
 * processes: without it `sudo kill` of the user's dev server fails with EPERM). Setuid binaries work
 * because no-new-privileges is off; the capabilities stay bounded by this set.
 */
export const machineCapabilities = [...rootCapabilities, 'AUDIT_WRITE', 'KILL'];

/** The hostname every machine gets, resolvable through /etc/hosts (sudo looks it up). */
export const machineHostname = 'errand';

/** /tmp lives in memory (tmpfs), so it is capped at half the memory limit as well as the disk limit. */
export function tmpSizeMb(options: HardeningOptions): number | null {
  return options.diskMb ? Math.max(16, Math.min(options.diskMb, Math.floor(options.memoryMb / 2))) : null;
}

/**
 * /tmp as a size-limited tmpfs in an anonymous volume (removed with the container): unlike a plain
 * tmpfs mount, Docker's archive API sees a volume, so files can still be copied in and out.
 */
function tmpMount(options: HardeningOptions): Docker.MountConfig {
  const size = tmpSizeMb(options);
  if (size === null) return [];
  return [{ Type: 'volume', Source: '', Target: '/tmp', VolumeOptions: { NoCopy: false, Labels: {}, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: `size=${size}m,mode=1777` } } } }];
}

/** Networks that own the hostname (host's, or another container's namespace) cannot take ours. */
export function ownsHostname(network: string): boolean {
  return network !== 'host' && !network.startsWith('container:');
}

/** What a machine may do as root: decided by the engine's isolation and the environment's user. */
export function privileges(isolation: Isolation, root: boolean): { capAdd: string[]; noNewPrivileges: boolean; sudo: boolean } {
  if (sudoAllowed(isolation)) return { capAdd: machineCapabilities, noNewPrivileges: false, sudo: true };
  return { capAdd: root ? rootCapabilities : [], noNewPrivileges: true, sudo: false };
}

/** HostConfig for an agent container: unprivileged, capped, on the network asked for, never docker.sock. */
export function hardening(
  options: HardeningOptions,
  { network, root, isolation = 'none' }: { network: string; root: boolean; isolation?: Isolation },
): Docker.HostConfig {
  const memory = options.memoryMb * 1024 * 1024;
  const granted = privileges(isolation, root);
  return {
    Privileged: false,
    CapDrop: ['ALL'],
    CapAdd: granted.capAdd,
    SecurityOpt: granted.noNewPrivileges ? ['no-new-privileges'] : [],
    PidsLimit: options.pids,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(options.cpus * 1e9),
    NetworkMode: network,
    ...(ownsHostname(network) ? { ExtraHosts: [`${machineHostname}:127.0.1.1`] } : {}),
    Mounts: tmpMount(options),
    Init: true,
    Binds: [],
    AutoRemove: false,
  };
}
