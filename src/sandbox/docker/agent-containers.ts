import type Docker from 'dockerode';
import { labels } from './labels.js';

/** Name of a pool machine no agent has claimed yet. */
export const poolNamePrefix = 'errand-pool-';
/** Ends the name of a pool machine still being made: it cannot be claimed until it is renamed without it. */
export const poolStartingSuffix = '-starting';

/** An agent's own container: made for it, or a pool machine renamed to it when claimed. */
export function agentContainerName(agentId: string): string {
  return `errand-${agentId}`;
}

/**
 * The agent a listed container belongs to. Labels are immutable, so a claimed pool machine has no
 * `errand.agent` label of its own: its name (`errand-<agentId>`) says whose it is. (A pool machine
 * made from a snapshot inherits the snapshot's `errand.agent` label, which names the agent whose
 * install made the snapshot: never the owner.)
 */
export function agentOf(info: Docker.ContainerInfo): string | undefined {
  if (info.Labels[labels.pool] === undefined) return info.Labels[labels.agent] || undefined;
  const name = (info.Names ?? [])[0]?.replace(/^\//, '');
  if (!name || name.startsWith(poolNamePrefix) || !name.startsWith('errand-')) return undefined;
  return name.slice('errand-'.length);
}

/** Whether a listed container is a pool machine no agent has claimed. */
export function isUnclaimedPoolMachine(info: Docker.ContainerInfo): boolean {
  return info.Labels[labels.pool] !== undefined && agentOf(info) === undefined;
}

/**
 * The agent's containers (its machine and its egress sidecar), by name: a pool machine claimed by
 * the agent carries its name but not its label. Only Errand's containers count.
 */
export async function containersOfAgent(docker: Docker, agentId: string): Promise<Docker.ContainerInfo[]> {
  const escaped = agentId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = await docker.listContainers({ all: true, filters: { name: [`^/errand-${escaped}(-egress)?$`] } });
  return named.filter((info) => agentOf(info) === agentId);
}

/**
 * Every agent machine and sidecar of this install (claimed pool machines included), optionally
 * only those in a status; unclaimed pool machines are left out.
 */
export async function agentContainers(docker: Docker, install: string | undefined, status?: string[]): Promise<Docker.ContainerInfo[]> {
  const mine = install ? [`${labels.install}=${install}`] : [];
  const list = (label: string) => docker.listContainers({ all: true, filters: { label: [label, ...mine], ...(status ? { status } : {}) } });
  const [labelled, pooled] = await Promise.all([list(labels.agent), list(labels.pool)]);
  return unique([...labelled, ...pooled]).filter((info) => agentOf(info) !== undefined);
}

/** Each container once (a pool machine made from a snapshot is in both lists). */
export function unique(containers: Docker.ContainerInfo[]): Docker.ContainerInfo[] {
  return [...new Map(containers.map((info) => [info.Id, info])).values()];
}
