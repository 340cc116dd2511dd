import type Docker from 'dockerode';
import type { Log } from '../../core/ports/runtime.js';
import { agentOf, isUnclaimedPoolMachine, unique } from './agent-containers.js';
import { labels } from './labels.js';

export interface ReaperOptions {
  docker: Docker;
  log: Log;
  /** Whether an agent still exists (not expired); its containers are kept while it does. */
  isLive: (agentId: string) => boolean | Promise<boolean>;
  intervalMs?: number;
  /**
   * ERRAND_INSTANCE: only containers and images labelled with it are looked at, so several
   * installs (or test runs) share one Docker host without reaping each other's agents.
   */
  install: string;
  /** ERRAND_MACHINE_POOL_IDLE_SECONDS in ms: an unclaimed pool machine older than this is removed (default 30 minutes). */
  poolIdleMs?: number;
  now?: () => number;
}

export interface ReapResult {
  containers: string[];
  images: string[];
}

/**
 * Removes containers labelled `errand.agent` whose agent no longer exists, and images labelled
 * with such an agent that are not caches (install snapshots and Dockerfile builds are shared
 * between agents and pruned per repository instead). Runs once at start-up and then on a timer.
 */
export class Reaper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReapResult> | null = null;

  constructor(private readonly options: ReaperOptions) {}

  start(): void {
    if (this.timer) return;
    void this.reapSafely();
    this.timer = setInterval(() => void this.reapSafely(), this.options.intervalMs ?? 10 * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; overlapping calls share the pass in flight. */
  reap(): Promise<ReapResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async reapSafely(): Promise<void> {
    await this.reap().catch((error: unknown) => this.options.log.warn({ err: error }, 'sandbox reaper pass failed'));
  }

  private async pass(): Promise<ReapResult> {
    const { docker, log } = this.options;
    const verdicts = new Map<string, boolean>();
    const dead = async (agentId: string | undefined) => {
      if (!agentId) return false;
      if (!verdicts.has(agentId)) verdicts.set(agentId, !(await this.options.isLive(agentId)));
      return verdicts.get(agentId)!;
    };
    const result: ReapResult = { containers: [], images: [] };
    const mine = [labels.agent, `${labels.install}=${this.options.install}`];
    const pooled = await docker.listContainers({ all: true, filters: { label: [labels.pool, `${labels.install}=${this.options.install}`] } });
    const containers = unique([...(await docker.listContainers({ all: true, filters: { label: mine } })), ...pooled]).filter((info) => !isUnclaimedPoolMachine(info));
    for (const info of containers) {
      // A claimed pool machine carries its agent's name, not its label.
      const agentId = agentOf(info);
      if (!(await dead(agentId))) continue;
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        result.containers.push(info.Id);
        log.info({ agentId, containerId: info.Id }, 'reaped orphan container');
      } catch (error) {
        log.warn({ agentId, containerId: info.Id, err: error }, 'could not reap container');
      }
    }
    result.containers.push(...(await this.reapPool(pooled.filter(isUnclaimedPoolMachine))));
    for (const info of await docker.listImages({ filters: { label: mine } })) {
      const imageLabels = info.Labels ?? {};
      if (imageLabels[labels.snapshotKey] || imageLabels[labels.buildKey]) continue;
      if (!(await dead(imageLabels[labels.agent]))) continue;
      try {
        await docker.getImage(info.Id).remove();
        result.images.push(info.Id);
        log.info({ agentId: imageLabels[labels.agent], imageId: info.Id }, 'reaped orphan image');
      } catch (error) {
        log.warn({ imageId: info.Id, err: error }, 'could not reap image');
      }
    }
    return result;
  }

  /**
   * Unclaimed pool machines that are stale: idle past the limit, not running, or on an image that
   * lost its tags (a snapshot or build pruned, or an image tag moved to a new build).
   */
  private async reapPool(unclaimed: Docker.ContainerInfo[]): Promise<string[]> {
    if (unclaimed.length === 0) return [];
    const { docker, log } = this.options;
    const now = (this.options.now ?? Date.now)();
    const tagged = new Set((await docker.listImages()).filter((image) => (image.RepoTags ?? []).some((tag) => tag !== '<none>:<none>')).map((image) => image.Id));
    const removed: string[] = [];
    for (const info of unclaimed) {
      const idleMs = now - info.Created * 1000;
      const why = info.State === 'exited' || info.State === 'dead' ? 'not running' : !tagged.has(info.ImageID) ? 'its image changed' : idleMs > (this.options.poolIdleMs ?? 30 * 60_000) ? 'idle too long' : null;
      if (!why) continue;
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.push(info.Id);
        log.info({ containerId: info.Id, why }, 'reaped a stale pool machine');
      } catch (error) {
        log.warn({ containerId: info.Id, err: error }, 'could not reap a pool machine');
      }
    }
    return removed;
  }
}
