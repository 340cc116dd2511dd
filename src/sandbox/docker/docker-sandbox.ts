import { basename, resolve } from 'node:path';
import type Docker from 'dockerode';
import { ErrandError, toErrandError } from '../../core/errors.js';
import type { LogPhase } from '../../core/events.js';
import type { Sandbox, SandboxHandle, SandboxSpec } from '../../core/ports/sandbox.js';
import type { Log } from '../../core/ports/runtime.js';
import { loadEnvironment, type Environment } from '../../environment/load-environment.js';
import { assertDockerReachable } from './docker-client.js';
import { dockerMessage } from './docker-errors.js';
import { isEgressSidecar, proxyEnv, restartEgressSidecar, startEgressSidecar } from './egress-sidecar.js';
import { DockerSandboxHandle } from './docker-handle.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { hardening, type HardeningOptions } from './hardening.js';
import { labels } from './labels.js';
import { lastLines } from './output-buffer.js';
import { resolveImage } from './resolve-image.js';
import { findSnapshot, pruneImages, saveSnapshot, snapshotKey } from './snapshot.js';
import { openTerminals } from './terminals.js';
import { ensureUser } from './users.js';
import { copyWorkspace, workdir } from './workspace.js';

export interface DockerSandboxOptions extends HardeningOptions {
  docker: Docker;
  log: Log;
  /** Image used when the environment names neither a usable snapshot nor a build. */
  baseImage: string;
  /** Labels containers with the install they belong to (see Reaper). */
  install?: string;
  /** Default network when the spec names none: `none`, `host`, `bridge` or a network's name. */
  network: string;
  /** Install snapshots (and Dockerfile builds) kept per repository. */
  snapshotsKept: number;
  /** The user commands run as when the environment names none. */
  defaultUser?: string;
  installTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Image of the egress sidecar (needs socat): ERRAND_EGRESS_IMAGE, default the base image. */
  egressImage?: string;
}

const errorTailLines = 20;

/**
 * The Sandbox port on a Docker engine: environment → image → container → workspace → install
 * (cached as a snapshot image) → start → tmux terminals.
 */
export class DockerSandbox implements Sandbox {
  private readonly docker: Docker;

  constructor(private readonly options: DockerSandboxOptions) {
    this.docker = options.docker;
  }

  async prepare(spec: SandboxSpec): Promise<SandboxHandle> {
    const { docker, options } = this;
    const log = options.log.child({ agentId: spec.agentId });
    const emit = (phase: LogPhase, stream: 'stdout' | 'stderr' | 'system', text: string) => spec.onLog?.(phase, stream, text);
    const checkAborted = () => {
      if (spec.signal?.aborted) throw new ErrandError('aborted', 'preparing the sandbox was stopped');
    };
    await assertDockerReachable(docker);
    const repoDir = resolve(spec.repoDir);
    const repo = spec.repo ?? basename(repoDir);
    const network = spec.network ?? options.network;

    const environment = loadEnvironment(repoDir);
    emit('environment', 'system', environment.source ? `using ${environment.source}` : 'no environment file: using defaults');
    for (const warning of environment.warnings) emit('environment', 'system', `warning: ${warning}`);
    const userName = environment.user ?? options.defaultUser ?? 'errand';

    const resolved = await resolveImage({
      docker, environment, repoDir, baseImage: options.baseImage, agentId: spec.agentId, repo, network,
      ...(spec.signal ? { signal: spec.signal } : {}),
      onLog: emit,
    });
    checkAborted();

    const key = environment.install ? await snapshotKey({ repoDir, environment, baseImageId: resolved.imageId, user: userName }) : null;
    const snapshot = key ? await findSnapshot(docker, key.key) : null;

    await this.remove(spec.agentId);
    const egress = network === 'none' ? spec.egress : undefined;
    const container = await this.createContainer(spec.agentId, snapshot ?? resolved.image, userName, repo, network, egress ? proxyEnv() : []);
    log.info({ containerId: container.id, image: snapshot ?? resolved.image, source: snapshot ? 'install-snapshot' : resolved.source }, 'sandbox container created');
    const user = await ensureUser(container, userName);
    await container.start();
    if (egress) {
      await startEgressSidecar({
        docker, agentId: spec.agentId, containerId: container.id, socketDir: egress.socketDir, image: options.egressImage ?? options.baseImage,
        labels: { [labels.repo]: repo, ...(options.install ? { [labels.install]: options.install } : {}) },
      });
    }
    const target: ExecTarget = { docker, containerId: container.id, user: user.name, workdir };
    await copyWorkspace(target, repoDir, user);
    checkAborted();

    if (environment.install && key) {
      if (snapshot) {
        spec.onMilestone?.('install_cached', `install skipped: reused the snapshot for these lockfiles (${key.files.length ? key.files.join(', ') : 'none'})`);
        emit('install', 'system', `install skipped: snapshot ${snapshot.slice(7, 19)} matches`);
      } else {
        await this.runStep('install', target, environment.install, spec, options.installTimeoutMs ?? 30 * 60_000, spec.installEnv ?? {});
        const tag = await saveSnapshot(docker, container.id, key.key, { agentId: spec.agentId, repo });
        emit('install', 'system', `saved snapshot ${tag}`);
        log.info({ tag, lockfiles: key.files }, 'install snapshot saved');
        await pruneImages(docker, 'snapshot', repo, options.snapshotsKept).catch((error: unknown) => log.warn({ err: error }, 'snapshot prune failed'));
      }
    }
    if (resolved.source === 'build') {
      await pruneImages(docker, 'build', repo, options.snapshotsKept).catch((error: unknown) => log.warn({ err: error }, 'build prune failed'));
    }
    checkAborted();
    if (environment.start) await this.runStep('start', target, environment.start, spec, options.startTimeoutMs ?? 10 * 60_000, {});
    checkAborted();
    egress?.enterAgentPhase();
    await openTerminals(target, environment.terminals);
    spec.onMilestone?.('environment_ready', describe(environment, resolved.source, Boolean(snapshot)));
    return new DockerSandboxHandle(docker, spec.agentId, container.id, user.name);
  }

  async find(agentId: string): Promise<SandboxHandle | null> {
    const containers = await this.containersOf(agentId);
    const info = containers.find((c) => !isEgressSidecar(c));
    if (!info) return null;
    const sidecar = containers.find(isEgressSidecar);
    if (info.State !== 'running') await this.docker.getContainer(info.Id).start().catch(() => undefined);
    // Always: it must join a restarted agent's namespace, and re-mount the socket directory the proxy made anew.
    if (sidecar) await restartEgressSidecar(this.docker, sidecar);
    return new DockerSandboxHandle(this.docker, agentId, info.Id, info.Labels[labels.user] ?? 'errand');
  }

  async remove(agentId: string): Promise<void> {
    // Sidecars first: they live in the agent container's network namespace.
    const containers = (await this.containersOf(agentId)).sort((a, b) => Number(isEgressSidecar(b)) - Number(isEgressSidecar(a)));
    for (const info of containers) {
      await this.docker.getContainer(info.Id).remove({ force: true, v: true }).catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) throw toErrandError(error, 'sandbox_failed');
      });
    }
  }

  private async containersOf(agentId: string): Promise<Docker.ContainerInfo[]> {
    await assertDockerReachable(this.docker);
    return this.docker.listContainers({ all: true, filters: { label: [`${labels.agent}=${agentId}`] } });
  }

  private async createContainer(agentId: string, image: string, user: string, repo: string, network: string, env: string[]): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer({
        name: `errand-${agentId}`,
        Image: image,
        Entrypoint: [],
        Cmd: ['sleep', 'infinity'],
        User: user,
        WorkingDir: workdir,
        Tty: false,
        ...(env.length > 0 ? { Env: env } : {}),
        Labels: { [labels.agent]: agentId, [labels.user]: user, [labels.repo]: repo, ...(this.options.install ? { [labels.install]: this.options.install } : {}) },
        HostConfig: hardening(this.options, { network, root: user === 'root' || user === '0' }),
      });
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not create the container from ${image}: ${dockerMessage(error)}`, { cause: error });
    }
  }

  /** Runs install or start as the environment's user in /workspace, streaming output to onLog. */
  private async runStep(phase: 'install' | 'start', target: ExecTarget, command: string, spec: SandboxSpec, timeoutMs: number, env: Record<string, string>): Promise<void> {
    spec.onLog?.(phase, 'system', `$ ${command}`);
    const result = await execInContainer(target, command, {
      env,
      timeoutMs,
      ...(spec.signal ? { signal: spec.signal } : {}),
      onOutput: (stream, text) => spec.onLog?.(phase, stream, text),
    });
    if (result.aborted) throw new ErrandError('aborted', `${phase} was stopped`);
    if (result.exitCode !== 0) {
      const why = result.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `failed with exit code ${result.exitCode}`;
      throw new ErrandError('sandbox_failed', `${phase} command ${why}; last lines:\n${lastLines(result.output, errorTailLines)}`);
    }
  }
}

function describe(environment: Environment, source: string, cached: boolean): string {
  const parts = [`image from ${source}`];
  if (environment.install) parts.push(cached ? 'install reused from snapshot' : 'installed');
  if (environment.start) parts.push('started');
  parts.push(`${environment.terminals.length} terminal${environment.terminals.length === 1 ? '' : 's'}`);
  return `environment ready: ${parts.join(', ')}`;
}
