import type Docker from 'dockerode';
import { z } from 'zod';

/**
 * How the Docker engine separates a container's users from the host's:
 * - `userns`: the daemon runs with `--userns-remap`, so root in a container is an unprivileged uid
 *   (100000 and up) on the host;
 * - `rootless`: the daemon itself runs as an ordinary user;
 * - `none`: root in a container is root on the host (only capabilities and no-new-privileges hold it).
 */
export const Isolation = z.enum(['userns', 'rootless', 'none']);
export type Isolation = z.infer<typeof Isolation>;

/** The part of `docker info` that says it (`SecurityOptions: ["name=seccomp,profile=default", "name=userns"]`). */
export const EngineInfo = z.looseObject({
  SecurityOptions: z.array(z.string()).nullish(),
  Driver: z.string().nullish(),
  DriverStatus: z.array(z.tuple([z.string(), z.string()])).nullish(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

export function isolationOf(info: EngineInfo): Isolation {
  const names = (info.SecurityOptions ?? []).flatMap((option) => option.split(',')).map((part) => part.trim());
  if (names.includes('name=rootless')) return 'rootless';
  if (names.includes('name=userns')) return 'userns';
  return 'none';
}

/**
 * Whether the engine can cap a container's writable layer (`StorageOpt size`): overlay2 only does
 * on xfs mounted with pquota; we can see the xfs part and let the first create tell us the rest.
 */
export function storageQuotaPossible(info: EngineInfo): boolean {
  const backing = (info.DriverStatus ?? []).find(([key]) => key === 'Backing Filesystem')?.[1];
  return (info.Driver === 'overlay2' && backing === 'xfs') || info.Driver === 'btrfs' || info.Driver === 'zfs';
}

export interface EngineFacts {
  isolation: Isolation;
  storageQuota: boolean;
}

const detected = new WeakMap<Docker, Promise<EngineFacts>>();

/** Asks the engine once per client (the answer holds until the daemon restarts with other flags). */
export function engineFacts(docker: Docker): Promise<EngineFacts> {
  let facts = detected.get(docker);
  if (!facts) {
    facts = docker.info().then((raw: unknown) => {
      const info = EngineInfo.parse(raw);
      return { isolation: isolationOf(info), storageQuota: storageQuotaPossible(info) };
    });
    facts.catch(() => detected.delete(docker));
    detected.set(docker, facts);
  }
  return facts;
}

export async function detectIsolation(docker: Docker): Promise<Isolation> {
  return (await engineFacts(docker)).isolation;
}

/** Why sudo is refused where root in the machine would be root on the host (one line, with the fix). */
export const sudoOffReason =
  'sudo is off: the Docker engine runs without user namespaces, so root in the machine would be root on the host; run `npm run setup` to enable userns-remap or use rootless Docker';

/** Whether the environment's user may become root in the machine. */
export function sudoAllowed(isolation: Isolation): boolean {
  return isolation !== 'none';
}

/** One line for people (banner, environment event): what holds root in the machine. */
export function describeIsolation(isolation: Isolation): string {
  switch (isolation) {
    case 'userns':
      return 'user namespaces (userns-remap): root in the machine is an unprivileged user on the host; sudo works';
    case 'rootless':
      return 'rootless Docker: the engine and its containers run as an unprivileged user; sudo works';
    case 'none':
      return 'no user namespaces: root in the machine would be root on the host, so sudo is off; run `npm run setup` to enable userns-remap or use rootless Docker';
  }
}
