import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Log } from '../../core/ports/runtime.js';
import { agentContainerName, isUnclaimedPoolMachine, poolNamePrefix, poolStartingSuffix } from './agent-containers.js';
import { labels } from './labels.js';

/** What a pool machine is made for: a claim only takes a machine made for exactly this. */
export interface PoolRequest {
  workspace: string;
  repo: string;
  /** The image the machine runs (an install snapshot's id, or the resolved image). */
  image: string;
  /** The image's id: part of the key, so a changed snapshot or rebuilt image never hands out an old machine. */
  imageId: string;
  user: string;
  /** Whether the proxy variables are set (the agent gets an egress sidecar when claimed). */
  egress: boolean;
  /** Anything else the container's settings depend on (limits, hardening), as a stable string. */
  settings: string;
}

export interface MachinePoolOptions {
  docker: Docker;
  log: Log;
  /** ERRAND_INSTANCE: pool machines carry it, and only this install's are claimed or removed. */
  install?: string;
  /** ERRAND_MACHINE_POOL_SIZE: started machines kept per key; 0 turns the pool off. */
  size: number;
  /** ERRAND_MACHINE_POOL_MAX: unclaimed pool machines of this install on the Docker host, all keys together. */
  max: number;
  /**
   * Creates and starts a machine under `name` with `poolLabels` (network none, no secrets, no
   * checkout, no sidecar): the same create, user files and kill supervisor as any machine.
   */
  create: (request: PoolRequest, name: string, poolLabels: Record<string, string>) => Promise<void>;
}

/** The pool key of a request within an install (a hash: labels have a length limit). */
export function poolKey(install: string | undefined, request: PoolRequest): string {
  const { workspace, repo, imageId, user, egress, settings } = request;
  return createHash('sha256').update(JSON.stringify([install ?? '', workspace, repo, imageId, user, egress, settings])).digest('hex').slice(0, 32);
}

/**
 * A small pool of pre-started machines, so a launch skips create and start (about 0.7 s). A pool
 * machine is a started container on network `none` with the user's files and the kill supervisor
 * in it, and nothing else: no checkout, no secret, no sidecar. A launch claims one by renaming it
 * to the agent's container name (`docker rename` by its pool name: atomic in the engine, so two
 * workers never claim the same machine); after a claim, or a launch that found none, the pool is
 * refilled in the background. Keys never span workspaces, repositories or installs.
 */
export class MachinePool {
  private readonly refilling = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: MachinePoolOptions) {}

  get enabled(): boolean {
    return this.options.size > 0 && this.options.max > 0;
  }

  /** Renames a pool machine made for `request` to the agent's name; its id, or null when none was there. */
  async claim(request: PoolRequest, agentId: string): Promise<string | null> {
    if (!this.enabled) return null;
    const key = poolKey(this.options.install, request);
    for (const info of await this.unclaimed([`${labels.pool}=${key}`], ['running'])) {
      const name = info.Names[0]!.replace(/^\//, '');
      if (info.Labels[labels.workspace] !== request.workspace || name.endsWith(poolStartingSuffix)) continue;
      try {
        await this.options.docker.getContainer(name).rename({ name: agentContainerName(agentId) });
        return info.Id;
      } catch (error) {
        // 404: another launch renamed it first. Anything else: leave it to the reaper and try the next.
        if ((error as { statusCode?: number }).statusCode !== 404) this.options.log.warn({ err: error, container: info.Id }, 'could not claim a pool machine');
      }
    }
    return null;
  }

  /**
   * Tops the pool up for `request` in the background (one refill per key at a time), and removes
   * unclaimed machines of the same workspace, repository and user made from another image: the
   * snapshot or image changed, so they would never be claimed.
   */
  refill(request: PoolRequest): void {
    if (!this.enabled || this.closed) return;
    const key = poolKey(this.options.install, request);
    if (this.refilling.has(key)) return;
    const run = this.fill(key, request)
      .catch((error: unknown) => this.options.log.warn({ err: error, workspace: request.workspace, repo: request.repo }, 'could not refill the machine pool'))
      .finally(() => this.refilling.delete(key));
    this.refilling.set(key, run);
  }

  /** Waits for refills under way (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.refilling.values()]);
  }

  /** No more refills (worker shutdown); machines already in the pool are left to the reaper's idle limit. */
  close(): void {
    this.closed = true;
  }

  private async fill(key: string, request: PoolRequest): Promise<void> {
    const { docker, install, size, max } = this.options;
    const pooled = await this.unclaimed([], ['created', 'running', 'restarting']);
    const same = pooled.filter((info) => info.Labels[labels.workspace] === request.workspace && info.Labels[labels.repo] === request.repo && info.Labels[labels.user] === request.user);
    const stale = same.filter((info) => info.ImageID !== request.imageId);
    for (const info of stale) {
      await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
      this.options.log.info({ container: info.Id }, 'removed a pool machine made for an older image');
    }
    const kept = pooled.length - stale.length;
    const mine = same.filter((info) => info.Labels[labels.pool] === key).length;
    const wanted = Math.min(size - mine, max - kept);
    for (let i = 0; i < wanted && !this.closed; i++) {
      // Made under a name no claim takes, and renamed once ready: a claim never races its making.
      const name = `${poolNamePrefix}${randomBytes(8).toString('hex')}`;
      await this.options.create(request, `${name}${poolStartingSuffix}`, {
        // Empty, so a snapshot's own label (the agent whose install made it) is not inherited.
        [labels.agent]: '',
        [labels.pool]: key,
        [labels.workspace]: request.workspace,
        [labels.repo]: request.repo,
        ...(install ? { [labels.install]: install } : {}),
      });
      await docker.getContainer(`${name}${poolStartingSuffix}`).rename({ name });
    }
  }

  /** This install's unclaimed pool machines (with `extra` label filters) in the given states. */
  private async unclaimed(extra: string[], status: string[]): Promise<Docker.ContainerInfo[]> {
    const { docker, install } = this.options;
    const list = await docker.listContainers({ all: true, filters: { label: [labels.pool, ...extra, ...(install ? [`${labels.install}=${install}`] : [])], status } });
    return list.filter((info) => isUnclaimedPoolMachine(info) && (install ? true : info.Labels[labels.install] === undefined));
  }
}
