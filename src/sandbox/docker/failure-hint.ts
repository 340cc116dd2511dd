import { sudoOffReason } from './isolation.js';

export interface FailureContext {
  /** The step that failed (`install`, `start`, or a command of the agent). */
  phase: string;
  /** ERRAND_SANDBOX_DISK_MB, when set. */
  diskMb?: number | undefined;
  /** The size of /tmp (tmpfs), when limited. */
  tmpMb?: number | null | undefined;
  /** ERRAND_SANDBOX_PIDS. */
  pids?: number | undefined;
  /** Whether sudo may work under the engine's isolation. */
  sudo: boolean;
}

const commandNotFound = [/(?:^|\n)(?:[^\n:]*: )?(?:line \d+: )?([\w.+-]+): command not found/, /(?:^|\n)[^\n:]*: \d+: ([\w.+-]+): not found/];

/**
 * Names the cause and the fix of a failed step from its last lines of output, for the failures a
 * new user meets first; null when nothing known matches (the lines speak for themselves then).
 */
export function failureHint(lastLines: string, context: FailureContext): string | null {
  if (/Docker is not available inside Errand's agent machines/.test(lastLines)) {
    return `Docker cannot run inside the machine (it would need a privileged container): take \`dockerd\`/\`service docker start\` out of ${context.phase} and run the services your tests need as processes, in terminals`;
  }
  if (/"no new privileges" flag is set|effective uid is not 0|sudo: unable to change to root gid|must be setuid root/.test(lastLines)) {
    return context.sudo ? 'sudo could not become root in the machine: the image\'s sudo is not setuid root, or the user is not allowed (the default image lets group `sudo` in without a password)' : sudoOffReason;
  }
  if (/No space left on device|ENOSPC/i.test(lastLines)) {
    const limits = [context.tmpMb ? `/tmp holds ${context.tmpMb} MB` : null, context.diskMb ? `ERRAND_SANDBOX_DISK_MB is ${context.diskMb}` : null].filter(Boolean).join(', ');
    return `no space left on device: the sandbox disk limit${limits ? ` (${limits})` : ''} was reached; write less (clean caches, build outside /tmp) or raise ERRAND_SANDBOX_DISK_MB`;
  }
  if (/fork: retry: Resource temporarily unavailable|Cannot fork|fork: Resource temporarily unavailable|EAGAIN.*spawn/i.test(lastLines)) {
    return `the machine's process limit${context.pids ? ` of ${context.pids}` : ''} was reached: something started too many processes; raise ERRAND_SANDBOX_PIDS if the work truly needs more`;
  }
  for (const pattern of commandNotFound) {
    const tool = pattern.exec(lastLines)?.[1];
    if (tool) {
      if (tool === 'sudo' && !context.sudo) return `\`sudo\` is not in the image, and ${sudoOffReason.replace(/^sudo is off: /, 'it would be off anyway: ')}`;
      return `\`${tool}\` is not in the image: add it in build.dockerfile or use the default image (errand-machine:bookworm)`;
    }
  }
  return null;
}
