/** Labels on every container and image Errand makes, so a reaper can find them. */
export const labels = {
  agent: 'errand.agent',
  /** Which Errand instance (ERRAND_INSTANCE) made it: a reaper touches only its own. */
  install: 'errand.install',
  /** The user commands and tmux run as (containers). */
  user: 'errand.user',
  repo: 'errand.repo',
  snapshotKey: 'errand.snapshot-key',
  buildKey: 'errand.build-key',
} as const;

export function labelFilter(...pairs: string[]): { label: string[] } {
  return { label: pairs };
}
