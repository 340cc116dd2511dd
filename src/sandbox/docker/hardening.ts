import type Docker from 'dockerode';

export interface HardeningOptions {
  memoryMb: number;
  cpus: number;
  pids: number;
}

/**
 * Capabilities root needs for package managers (apt drops to the `_apt` user and chowns its
 * files; dpkg sets owners and modes). Only granted when the environment's user is root; an
 * unprivileged user gets none, and no-new-privileges keeps setuid binaries (sudo) from adding any.
 */
export const rootCapabilities = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'];

/** HostConfig for an agent container: unprivileged, capped, on the network asked for, never docker.sock. */
export function hardening(options: HardeningOptions, { network, root }: { network: string; root: boolean }): Docker.HostConfig {
  const memory = options.memoryMb * 1024 * 1024;
  return {
    Privileged: false,
    CapDrop: ['ALL'],
    CapAdd: root ? rootCapabilities : [],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: options.pids,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(options.cpus * 1e9),
    NetworkMode: network,
    Init: true,
    Binds: [],
    AutoRemove: false,
  };
}
