import { basename, resolve } from 'node:path';
import type Docker from 'dockerode';
import { ErrandError, toErrandError } from '../../core/errors.js';
import type { LogPhase } from '../../core/events.js';
import type { FindOptions, Parked, PreparedFacts, Sandbox, SandboxHandle, SandboxSpec, SettledAt } from '../../core/ports/sandbox.js';
import type { Log } from '../../core/ports/runtime.js';
import { environmentOf, type Environment } from '../../environment/load-environment.js';
import { assertDockerReachable } from './docker-client.js';
import { dockerMessage } from './docker-errors.js';
import { isEgressSidecar, proxyEnv, restartEgressSidecar, startEgressSidecar } from './egress-sidecar.js';
import { DockerSandboxHandle } from './docker-handle.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { failureHint } from './failure-hint.js';
import { hardening, machineHostname, ownsHostname, privileges, tmpSizeMb, type HardeningOptions } from './hardening.js';
import { describeIsolation, engineFacts, type EngineFacts } from './isolation.js';
import { supervisorCommand, supervisorFiles } from './kill-supervisor.js';
import { writeContainerFiles } from './container-files.js';
import { labels } from './labels.js';
import { lastLines } from './output-buffer.js';
import { finishReady, readFacts } from './ready-exec.js';
import { hostFacts } from './host-facts.js';
import { writeReadyState } from './ready-state.js';
import { resolveImage } from './resolve-image.js';
import { hasRunningExec } from './running-exec.js';
import { restartMachine, restartScripts } from './restart.js';
import { findManualSnapshot, findSnapshot, manualSnapshotKey, pruneImages, saveSnapshot, snapshotKey, type ImageScope } from './snapshot.js';
import { terminalsScript } from './terminals.js';
import { planUser, type ContainerUser, type UserPlan } from './users.js';
import { copyDependencies, dependenciesDir } from './dependencies.js';
import { clearWorkspace, copyWorkspace, workdir } from './workspace.js';
import { WarmMachines, type KeptFacts } from './warm-machines.js';
import { agentContainerName, agentContainers, agentOf, containersOfAgent } from './agent-containers.js';
import { MachinePool, type PoolRequest } from './machine-pool.js';
import { phaseClock } from './phase-clock.js';

export interface DockerSandboxOptions extends HardeningOptions {
  docker: Docker;
  log: Log;
  /** Image used when the environment names neither a usable snapshot nor a build. */
  baseImage: string;
  /** ERRAND_INSTANCE: labels containers, builds and snapshots with the install they belong to (see Reaper). */
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
  /** ERRAND_MACHINE_IDLE_SECONDS in ms: a machine stays running this long after its run (0, the default here: stopped at once). */
  idleGraceMs?: number;
  /** ERRAND_MACHINE_WARM_MAX: idle machines kept running at once; the one idle longest is stopped first. */
  maxWarm?: number;
  /** ERRAND_MACHINE_POOL_SIZE: pre-started machines kept per workspace, repository, image and user (0, the default here: no pool). */
  poolSize?: number;
  /** ERRAND_MACHINE_POOL_MAX: unclaimed pool machines of this install at most, all keys together. */
  poolMax?: number;
}

const errorTailLines = 20;
const maxUserPlans = 200;

/**
 * The Sandbox port on a Docker engine: environment → image → container → workspace → install
 * (cached as a snapshot image) → start → tmux terminals.
 */
export class DockerSandbox implements Sandbox {
  private readonly docker: Docker;
  /** Per image and user: what to write for the user (an image's /etc/passwd never changes). */
  private readonly userPlans = new Map<string, Promise<UserPlan>>();
  private readonly warm: WarmMachines;
  private readonly idleStopped: ((agentId: string) => void)[] = [];
  private readonly pool: MachinePool;
  /** New machines still opening their terminals after the hand-over (whenReady), by agent. */
  private readonly readying = new Map<string, Promise<void>>();

  constructor(private readonly options: DockerSandboxOptions) {
    this.docker = options.docker;
    this.warm = new WarmMachines({
      graceMs: options.idleGraceMs ?? 0,
      maxWarm: options.maxWarm ?? 10,
      log: options.log,
      stop: async (agentId) => {
        await this.stop(agentId);
        for (const listener of this.idleStopped) listener(agentId);
      },
      inUse: (agentId) => this.inUse(agentId),
    });
    this.pool = new MachinePool({
      docker: this.docker,
      log: options.log,
      ...(options.install ? { install: options.install } : {}),
      size: options.poolSize ?? 0,
      max: options.poolMax ?? 4,
      create: (request, name, poolLabels) => this.startPoolMachine(request, name, poolLabels),
    });
  }

  /** The machine pool (tests wait for its refills). */
  get machinePool(): MachinePool {
    return this.pool;
  }

  onIdleStopped(listener: (agentId: string) => void): void {
    this.idleStopped.push(listener);
  }

  /** Forgets the idle timers (worker shutdown): the machines keep running and the next worker adopts them. */
  close(): void {
    this.warm.close();
    this.pool.close();
  }

  async prepare(spec: SandboxSpec): Promise<SandboxHandle> {
    const { docker, options } = this;
    const log = options.log.child({ agentId: spec.agentId });
    const emit = (phase: LogPhase, stream: 'stdout' | 'stderr' | 'system', text: string) => spec.onLog?.(phase, stream, text);
    const checkAborted = () => {
      if (spec.signal?.aborted) throw new ErrandError('aborted', 'preparing the sandbox was stopped');
    };
    const phases = phaseClock();
    const repoDir = resolve(spec.repoDir);
    const repo = spec.repo ?? basename(repoDir);
    const network = spec.network ?? options.network;
    // Independent lookups at once: the engine, the environment file, a manual snapshot, a stale container.
    const [reachable, environmentRead, factsRead, manualRead] = await Promise.allSettled([
      assertDockerReachable(docker),
      Promise.resolve().then(() => environmentOf(repoDir, spec.environmentText)),
      engineFacts(docker),
      findManualSnapshot(docker, spec.workspace, repo),
    ]);
    // In the order they were checked one by one: an engine that does not answer says so first.
    const environment = settled(environmentRead, reachable);
    const facts = settled(factsRead);
    const manualSnapshot = settled(manualRead);
    phases.mark('lookups');
    emit('environment', 'system', environment.fromSettings ? `using the environment kept in Errand's settings for ${repo}` : environment.source ? `using ${environment.source}` : 'no environment file: using defaults');
    emit('environment', 'system', `isolation: ${facts.isolation}, ${describeIsolation(facts.isolation)}`);
    if (options.diskMb) emit('environment', 'system', describeDiskLimit(options, facts));
    for (const warning of environment.warnings) emit('environment', 'system', `warning: ${warning}`);

    const [resolved] = await Promise.all([
      resolveImage({
        docker, environment, repoDir, baseImage: options.baseImage, agentId: spec.agentId, workspace: spec.workspace, repo, network,
        manualSnapshot,
        ...(options.install ? { install: options.install } : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
        onLog: emit,
      }),
      this.remove(spec.agentId),
    ]);
    checkAborted();
    const imageUser = resolved.source === 'base' ? null : resolved.imageUser;
    const userName = environment.user ?? imageUser ?? options.defaultUser ?? 'errand';
    if (!environment.user && imageUser) emit('environment', 'system', `running as ${imageUser}, the image's USER (the environment file names no user)`);

    const key = environment.install
      ? await snapshotKey({ repoDir, environment, baseImageId: resolved.imageId, user: userName, workspace: spec.workspace, repo, installSecrets: spec.installSecretVersions ?? [] })
      : null;
    const snapshot = key ? await findSnapshot(docker, key.key) : null;
    phases.mark('image');

    const egress = network === 'none' ? spec.egress : undefined;
    const image = snapshot ?? resolved.image;
    const imageId = snapshot ?? resolved.imageId;
    const sudo = privileges(facts.isolation, false).sudo;
    const pooled: PoolRequest | null =
      network === 'none' && this.pool.enabled
        ? { workspace: spec.workspace, repo, image, imageId, user: userName, egress: Boolean(egress), settings: JSON.stringify(hardening(options, { network, root: isRoot(userName), isolation: facts.isolation })) }
        : null;
    // A pool machine if there is one (it then gets the checkout and the sidecar), else a fresh one.
    const claimed = pooled ? await this.bringInClaimed(pooled, spec, repoDir, repo, sudo, egress) : null;
    if (claimed) phases.mark('claim+checkout');
    const { container, user } = claimed ?? (await this.startFresh(spec, image, imageId, userName, repo, network, facts, sudo, egress));
    if (!claimed) phases.mark('create+start');
    log.info({ containerId: container.id, image, source: snapshot ? 'install-snapshot' : resolved.source, isolation: facts.isolation, pooled: Boolean(claimed) }, 'sandbox container created');
    const target: ExecTarget = { docker, containerId: container.id, user: user.name, workdir, supervised: true };
    if (!claimed) {
      await this.bringIn(target, spec, repoDir, repo, user, egress);
      phases.mark('checkout+sidecar');
    }
    if (spec.dependencies?.length) {
      await copyDependencies(target, spec.dependencies, user);
      emit('environment', 'system', `repository dependencies in ${dependenciesDir}/: ${spec.dependencies.map((d) => d.name).join(', ')}`);
    }
    checkAborted();

    if (environment.install && key) {
      if (snapshot) {
        spec.onMilestone?.('install_cached', `install skipped: reused the snapshot for these lockfiles (${key.files.length ? key.files.join(', ') : 'none'})`);
        emit('install', 'system', `install skipped: snapshot ${snapshot.slice(7, 19)} matches`);
      } else {
        await this.runStep('install', target, environment.install, spec, options.installTimeoutMs ?? 30 * 60_000, spec.installEnv ?? {});
        const tag = await saveSnapshot(docker, container.id, key.key, { agentId: spec.agentId, repo, workspace: spec.workspace, user: user.name, ...(options.install ? { install: options.install } : {}) });
        emit('install', 'system', `saved snapshot ${tag}`);
        log.info({ tag, lockfiles: key.files }, 'install snapshot saved');
        await pruneImages(docker, 'snapshot', repo, options.snapshotsKept, this.scope(spec.workspace)).catch((error: unknown) => log.warn({ err: error }, 'snapshot prune failed'));
      }
    }
    if (resolved.source === 'build') {
      await pruneImages(docker, 'build', repo, options.snapshotsKept, this.scope(spec.workspace)).catch((error: unknown) => log.warn({ err: error }, 'build prune failed'));
    }
    checkAborted();
    if (environment.start) await this.runStep('start', target, environment.start, spec, options.startTimeoutMs ?? 10 * 60_000, spec.agentEnv ?? {});
    checkAborted();
    phases.mark('start');
    egress?.enterAgentPhase();
    // What the system prompt says comes from the host checkout; the terminals open and the ready
    // state is recorded while the first model call is in flight (commands wait for it: whenReady).
    const terminals = terminalsScript(workdir, environment.terminals);
    const repoFacts = await hostFacts(repoDir, environment.terminals.length > 0 ? environment.terminals.map((t) => t.name) : ['shell'], (spec.dependencies ?? []).map((d) => d.name));
    const whenReady = (async () => {
      const ready = await finishReady(target, terminals, spec.agentEnv ?? {});
      phases.mark('terminals');
      if (!(await writeReadyState(target, ready.listing, restartScripts(environment.start, terminals)))) {
        emit('environment', 'system', 'warning: git is not in the image, so the commit cannot leave out what install and start wrote: it holds every file in /workspace that is not gitignored');
      }
      phases.mark('ready-state');
      log.info({ readyPhases: phases.spans() }, 'sandbox ready phases');
    })();
    this.readying.set(spec.agentId, whenReady);
    whenReady.then(
      () => this.readying.delete(spec.agentId),
      () => this.readying.delete(spec.agentId),
    );
    spec.onMilestone?.('environment_ready', describe(environment, resolved.source, Boolean(snapshot)));
    if (pooled) this.pool.refill(pooled);
    phases.mark('facts');
    log.info({ phases: phases.spans(), pooled: Boolean(claimed) }, 'sandbox prepare phases');
    return new DockerSandboxHandle(docker, spec.agentId, container.id, user.name, true, this.limits(), repoFacts, false, whenReady);
  }

  async find(agentId: string, options: FindOptions = {}): Promise<SandboxHandle | null> {
    const keptFacts = await this.warm.claim(agentId);
    const containers = await this.containersOf(agentId);
    const info = containers.find((c) => !isEgressSidecar(c));
    if (!info) return null;
    const sidecar = containers.find(isEgressSidecar);
    const user = info.Labels[labels.user] ?? 'errand';
    if (info.State !== 'running') {
      try {
        await this.docker.getContainer(info.Id).start();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 304) throw new ErrandError('sandbox_failed', `could not start the agent's stopped machine: ${dockerMessage(error)}`, { cause: error });
      }
    }
    // It must join a restarted agent's namespace and re-mount a socket directory the proxy made anew;
    // a warm machine's sidecar that still has its directory is left alone.
    if (sidecar && (info.State !== 'running' || sidecar.State !== 'running' || !options.egressKept)) await restartEgressSidecar(this.docker, sidecar);
    const target: ExecTarget = { docker: this.docker, containerId: info.Id, user, workdir, supervised: info.Labels[labels.supervised] === '1' };
    if (info.State !== 'running') await restartMachine(target, options.env ?? {}, options.onLog);
    const facts = options.facts ? await this.factsOf(target, info.State === 'running' ? keptFacts : null) : null;
    return new DockerSandboxHandle(this.docker, agentId, info.Id, user, target.supervised, this.limits(), facts ?? undefined, info.State === 'running');
  }

  async snapshot(agentId: string, target: { workspace: string; repo: string }): Promise<string> {
    // A machine whose terminals are still opening is saved once they are open, not mid-way.
    await this.readying.get(agentId)?.catch(() => undefined);
    const info = (await this.containersOf(agentId)).find((c) => !isEgressSidecar(c));
    if (!info) throw new ErrandError('not_found', `agent ${agentId} has no machine on this Docker host (it may have expired, or run on another worker)`);
    const key = manualSnapshotKey(target.workspace, target.repo);
    try {
      await saveSnapshot(this.docker, info.Id, key, { agentId, ...target, user: info.Labels[labels.user] ?? 'errand', ...(this.options.install ? { install: this.options.install } : {}) }, 'manual');
    } catch (error) {
      throw new ErrandError('sandbox_failed', `could not save the agent's machine as a snapshot: ${dockerMessage(error)}`, { cause: error });
    }
    const id = await findSnapshot(this.docker, key);
    if (!id) throw new ErrandError('sandbox_failed', 'the snapshot was saved but cannot be found');
    this.options.log.info({ agentId, imageId: id, repo: target.repo }, 'manual snapshot saved');
    await pruneImages(this.docker, 'manual', target.repo, 1, this.scope(target.workspace)).catch((error: unknown) => this.options.log.warn({ err: error }, 'manual snapshot prune failed'));
    return id;
  }

  /**
   * What the system prompt tells the agent: those kept from the end of its last run when the machine
   * stayed idle and running since and nobody works in it now, else read in one exec.
   */
  private async factsOf(target: ExecTarget, kept: KeptFacts | null): Promise<PreparedFacts | null> {
    // The read kept may still run (a follow-up right after the run): it ends before execs are counted.
    const facts = kept ? await kept.read : null;
    if (facts && !(await hasRunningExec(this.docker, target.containerId).catch(() => true))) return facts;
    return readFacts(target).catch(() => null);
  }

  /**
   * The run made its last change to the warm machine (its `.git` refreshed): the facts are read
   * now, before the run settles and so before any follow-up, and kept while the machine stays idle
   * (see `factsOf`).
   */
  async keepFacts(agentId: string): Promise<void> {
    const facts = this.containersOf(agentId)
      .then((containers) => containers.find((c) => !isEgressSidecar(c) && c.State === 'running'))
      .then((info) => (info ? readFacts({ docker: this.docker, containerId: info.Id, user: info.Labels[labels.user] ?? 'errand', workdir, supervised: info.Labels[labels.supervised] === '1' }) : null))
      .catch(() => null);
    this.warm.remember(agentId, facts);
    await facts;
  }

  async park(agentId: string): Promise<Parked> {
    // Its terminals still opening would count as a person at work (inUse) and keep it running.
    await this.readying.get(agentId)?.catch(() => undefined);
    if (this.warm.keep(agentId)) return 'warm';
    await this.stop(agentId);
    return 'stopped';
  }

  async adoptIdle(settledAt: SettledAt): Promise<void> {
    const running = await agentContainers(this.docker, this.options.install, ['running']);
    for (const info of running) {
      const agentId = agentOf(info);
      if (!agentId || isEgressSidecar(info)) continue;
      const since = await settledAt(agentId);
      if (since === null || this.warm.keep(agentId, since)) continue;
      if (await this.inUse(agentId).catch(() => false)) {
        this.warm.keep(agentId);
        continue;
      }
      await this.stop(agentId).catch((error: unknown) => this.options.log.warn({ agentId, err: error }, 'could not stop an idle machine'));
      for (const listener of this.idleStopped) listener(agentId);
      this.options.log.info({ agentId }, 'stopped a machine idle past its grace (found after a restart)');
    }
  }

  /** Whether a command runs in the agent's machine now (a person attached: `errand attach`, the web terminal). */
  private async inUse(agentId: string): Promise<boolean> {
    const info = (await this.containersOf(agentId)).find((c) => !isEgressSidecar(c) && c.State === 'running');
    return info ? hasRunningExec(this.docker, info.Id) : false;
  }

  /** Stops the agent's container and sidecar at once. */
  private async stop(agentId: string): Promise<void> {
    for (const info of await this.containersOf(agentId)) {
      if (info.State !== 'running') continue;
      await this.docker.getContainer(info.Id).stop({ t: 5 }).catch((error: unknown) => {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 304 && status !== 404) throw new ErrandError('sandbox_failed', `could not stop the agent's machine: ${dockerMessage(error)}`, { cause: error });
      });
    }
  }

  /** The user plan of an image, read once from the first container made from it. */
  private userPlan(imageId: string, container: Docker.Container, name: string, sudo: boolean): Promise<UserPlan> {
    const key = `${imageId}|${name}|${sudo}`;
    let plan = this.userPlans.get(key);
    if (!plan) {
      if (this.userPlans.size >= maxUserPlans) this.userPlans.clear();
      plan = planUser(container, name, { sudo });
      plan.catch(() => this.userPlans.delete(key));
      this.userPlans.set(key, plan);
    }
    return plan;
  }

  /** Images of this workspace made by this instance. */
  private scope(workspace: string): ImageScope {
    return { workspace, ...(this.options.install ? { install: this.options.install } : {}) };
  }

  async remove(agentId: string): Promise<void> {
    await this.warm.claim(agentId);
    // Sidecars first: they live in the agent container's network namespace.
    const containers = (await this.containersOf(agentId)).sort((a, b) => Number(isEgressSidecar(b)) - Number(isEgressSidecar(a)));
    for (const info of containers) {
      await this.docker.getContainer(info.Id).remove({ force: true, v: true }).catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) throw toErrandError(error, 'sandbox_failed');
      });
    }
  }

  private limits(): { diskMb?: number; tmpMb: number | null; pids: number } {
    return { ...(this.options.diskMb ? { diskMb: this.options.diskMb } : {}), tmpMb: tmpSizeMb(this.options), pids: this.options.pids };
  }

  private async containersOf(agentId: string): Promise<Docker.ContainerInfo[]> {
    // Asked together: an engine that does not answer fails with the ping's error (and its hint).
    const [reachable, listed] = await Promise.allSettled([assertDockerReachable(this.docker), containersOfAgent(this.docker, agentId)]);
    if (reachable.status === 'rejected') throw reachable.reason;
    if (listed.status === 'rejected') throw listed.reason;
    return listed.value;
  }

  /** Claims a pool machine and puts the checkout in (the sidecar joins meanwhile); null when none was there or it failed (then it is removed). */
  private async bringInClaimed(request: PoolRequest, spec: SandboxSpec, repoDir: string, repo: string, sudo: boolean, egress: SandboxSpec['egress']): Promise<{ container: Docker.Container; user: ContainerUser } | null> {
    const log = this.options.log.child({ agentId: spec.agentId });
    const id = await this.pool.claim(request, spec.agentId).catch((error: unknown) => {
      log.warn({ err: error }, 'could not look for a pool machine');
      return null;
    });
    if (!id) return null;
    try {
      const container = this.docker.getContainer(id);
      const { user } = await this.userPlan(request.imageId, container, request.user, sudo);
      await this.bringIn({ docker: this.docker, containerId: id, user: user.name, workdir, supervised: true }, spec, repoDir, repo, user, egress, true);
      return { container, user };
    } catch (error) {
      if (spec.signal?.aborted) throw new ErrandError('aborted', 'preparing the sandbox was stopped');
      log.warn({ err: error, containerId: id }, 'a claimed pool machine failed: starting a fresh one');
      await this.remove(spec.agentId).catch(() => undefined);
      return null;
    }
  }

  /** Creates the agent's own machine and starts it. */
  private async startFresh(spec: SandboxSpec, image: string, imageId: string, userName: string, repo: string, network: string, facts: EngineFacts, sudo: boolean, egress: SandboxSpec['egress']): Promise<{ container: Docker.Container; user: ContainerUser }> {
    const container = await this.createContainer(agentContainerName(spec.agentId), { [labels.agent]: spec.agentId, [labels.repo]: repo, [labels.workspace]: spec.workspace }, image, userName, network, facts, egress ? proxyEnv() : []);
    const { user } = await this.startMachine(container, imageId, userName, sudo);
    return { container, user };
  }

  /** One archive before start: the user's passwd/group lines and home, and the kill supervisor. */
  private async startMachine(container: Docker.Container, imageId: string, userName: string, sudo: boolean): Promise<UserPlan> {
    const plan = await this.userPlan(imageId, container, userName, sudo);
    await writeContainerFiles(container, [...plan.files, ...supervisorFiles]);
    await container.start();
    return plan;
  }

  /** The sidecar joins the started container's network; the checkout goes in meanwhile. */
  private async bringIn(target: ExecTarget, spec: SandboxSpec, repoDir: string, repo: string, user: ContainerUser, egress: SandboxSpec['egress'], cleared = false): Promise<void> {
    const { options } = this;
    await Promise.all([
      egress
        ? startEgressSidecar({
            docker: this.docker, agentId: spec.agentId, containerId: target.containerId, socketDir: egress.socketDir, image: options.egressImage ?? options.baseImage,
            labels: { [labels.repo]: repo, ...(options.install ? { [labels.install]: options.install } : {}) },
          })
        : Promise.resolve(),
      copyWorkspace(target, repoDir, user, { cleared }),
    ]);
  }

  /**
   * A pool machine: made and started as any machine, on network none, with no secret, checkout or
   * sidecar; what the image's old checkout tracked is cleared now, so a claim only unpacks.
   */
  private async startPoolMachine(request: PoolRequest, name: string, poolLabels: Record<string, string>): Promise<void> {
    const facts = await engineFacts(this.docker);
    const container = await this.createContainer(name, poolLabels, request.image, request.user, 'none', facts, request.egress ? proxyEnv() : []);
    try {
      const { user } = await this.startMachine(container, request.imageId, request.user, privileges(facts.isolation, false).sudo);
      await clearWorkspace({ docker: this.docker, containerId: container.id, user: user.name, workdir, supervised: true }, user);
    } catch (error) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
  }

  private async createContainer(name: string, ownLabels: Record<string, string>, image: string, user: string, network: string, facts: EngineFacts, env: string[]): Promise<Docker.Container> {
    const hostConfig = hardening(this.options, { network, root: isRoot(user), isolation: facts.isolation });
    const create = (storageOpt: boolean) =>
      this.docker.createContainer({
        name,
        Image: image,
        Entrypoint: [],
        Cmd: supervisorCommand,
        // Where sudo may work, the supervisor runs as root (with KILL) so it can also end what a
        // command started through sudo; commands themselves run as the environment's user.
        User: privileges(facts.isolation, false).sudo ? 'root' : user,
        WorkingDir: workdir,
        ...(ownsHostname(network) ? { Hostname: machineHostname } : {}),
        Tty: false,
        ...(env.length > 0 ? { Env: env } : {}),
        Labels: {
          ...ownLabels,
          [labels.user]: user,
          [labels.supervised]: '1',
          ...(this.options.install ? { [labels.install]: this.options.install } : {}),
        },
        HostConfig: storageOpt ? { ...hostConfig, StorageOpt: { size: `${this.options.diskMb}M` } } : hostConfig,
      });
    try {
      if (facts.storageQuota && this.options.diskMb) {
        // xfs without pquota (or a driver that says no) refuses the size: then only /tmp is capped.
        try {
          return await create(true);
        } catch (error) {
          this.options.log.warn({ err: error }, 'the engine refused a disk size for the container; only /tmp is limited');
          facts.storageQuota = false;
        }
      }
      return await create(false);
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
      const tail = lastLines(result.output, errorTailLines);
      const { isolation } = await engineFacts(this.docker);
      const hint = failureHint(tail, { ...this.limits(), phase, sudo: privileges(isolation, false).sudo });
      throw new ErrandError('sandbox_failed', `${phase} command ${why}${hint ? `: ${hint}` : ''}; last lines:\n${tail}`);
    }
  }
}

/** The value of a settled lookup; `first` is thrown before it, when it failed. */
function settled<T>(result: PromiseSettledResult<T>, first?: PromiseSettledResult<unknown>): T {
  if (first?.status === 'rejected') throw first.reason;
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

function isRoot(user: string): boolean {
  return user === 'root' || user === '0';
}

function describeDiskLimit(options: HardeningOptions, facts: EngineFacts): string {
  const tmp = `/tmp is limited to ${tmpSizeMb(options)} MB (in memory)`;
  return facts.storageQuota
    ? `disk: the machine's files are limited to ${options.diskMb} MB; ${tmp}`
    : `disk: ${tmp}; the workspace is not limited, because this Docker engine's storage cannot cap a container's disk (overlay2 needs xfs with pquota)`;
}

function describe(environment: Environment, source: string, cached: boolean): string {
  const parts = [`image from ${source}`];
  if (environment.install) parts.push(cached ? 'install reused from snapshot' : 'installed');
  if (environment.start) parts.push('started');
  parts.push(`${environment.terminals.length} terminal${environment.terminals.length === 1 ? '' : 's'}`);
  return `environment ready: ${parts.join(', ')}`;
}
