/** Labels on every container and image Errand makes, so a reaper can find them. */
export const labels = {
  agent: 'errand.agent',
  /** Which Errand instance (ERRAND_INSTANCE) made it: a reaper touches only its own. */
  install: 'errand.install',
  /** The user commands and tmux run as (containers). */
  user: 'errand.user',
  repo: 'errand.repo',
  /** `egress` on an agent's egress sidecar; absent on the agent's own container. */
  role: 'errand.role',
  /** The container's main process is the kill supervisor (kill-supervisor.ts). */
  supervised: 'errand.supervised',
  /** The agent's workspace (tenant); snapshots are looked up within it only. */
  workspace: 'errand.workspace',
  /** `install` (saved after install) or `manual` (`errand snapshot`). */
  snapshotKind: 'errand.snapshot-kind',
  snapshotKey: 'errand.snapshot-key',
  buildKey: 'errand.build-key',
  /** A pre-started pool machine (machine-pool.ts): the key of what it was made for. */
  pool: 'errand.pool',
} as const;

export function labelFilter(...pairs: string[]): { label: string[] } {
  return { label: pairs };
}
