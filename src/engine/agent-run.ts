import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertAgentBranch,
  defaultProtectedBranches,
  machineRepoLabel,
  toErrandError,
  type Agent,
  type AgentEvent,
  type AgentService,
  type AgentStore,
  type DiffStore,
  type EgressEvent,
  type EgressGateway,
  type Metrics,
  type EgressSession,
  ErrandError,
  networkPolicy,
  type NetworkPolicy,
  type Settings,
  type EventLog,
  type Inbox,
  type Log,
  type LogPhase,
  type ModelHistory,
  type ModelMessage,
  type ModelRegistry,
  type PullRequestRef,
  type RepoHost,
  type RepoDiff,
  type RepoRef,
  repoLabel,
  type RunLeases,
  type Sandbox,
  type FindOptions,
  type SandboxHandle,
  type SecretStore,
  type SettingsStore,
  type ArtifactStore,
  type SessionEnvStore,
  artifactsFolder,
} from '../core/index.js';
import { artifactsLine, collectArtifacts } from './artifacts.js';
import { commitAll, type GitIdentity } from '../git/commit.js';
import { diffstat } from '../git/diffstat.js';
import { push } from '../git/remote.js';
import { repoHostFor } from '../git/repo-hosts.js';
import { importWorkTree } from '../git/work-tree.js';
import type { Scrubber } from '../redact/scrubber.js';
import { environmentOf } from '../environment/load-environment.js';
import { cloneDependencies, type DependencyCheckout } from './dependencies.js';
import { branchDiff, defaultDiffMaxBytes } from './branch-diff.js';
import { deliverExtra, linkPullRequests, type ExtraDelivery, type LinkedPull } from './extra-delivery.js';
import { checkoutExtras, copyExtrasIntoMachine, excludeFromPrimary, extraReposDir, settleFolders, type ExtraCheckout } from './extra-repos.js';
import { checkoutDir, emptyDir, lsTree, prepareCheckout, refreshGitDir, revParse } from './host-checkout.js';
import { checkKeptCheckout, keepBase, readKeptBase } from './kept-checkout.js';
import { gateHandle, type CheckoutGate } from './checkout-gate.js';
import type { WarmRuns } from './warm-runs.js';
import { readRepoFacts, runAgentLoop, systemPrompt, taskMessage, toolsFor, type LoopLimits, type LoopResult } from './loop/index.js';
import { commitMessage, formatDiffstat, pullRequestBody } from './run-text.js';

/** The engine's settings, from configuration. */
export interface EngineSettings {
  /** ERRAND_DATA_DIR: host checkouts live under `<dataDir>/work/<agent id>` during a run. */
  dataDir: string;
  limits: LoopLimits;
  commandTimeoutMs: number;
  /** Author and committer of the agent's commits. */
  bot: GitIdentity;
  /** ERRAND_PUBLIC_URL, for links back to the agent. */
  publicUrl?: string | undefined;
  /** Lifetime of a run lease (default 30 s): a crashed worker's agents are taken over after it lapses. */
  leaseMs?: number;
  /** Largest diff kept for the dashboard's diff view (default 512 KB); beyond it only the size. */
  diffMaxBytes?: number;
}


export interface EngineDeps {
  agents: AgentService;
  /** For usage updates, which are not status changes. */
  store: AgentStore;
  events: EventLog;
  inbox: Inbox;
  history: ModelHistory;
  /** Where the diff of each push goes for the dashboard (absent: no diff view). */
  diffs?: DiffStore;
  models: ModelRegistry;
  sandbox: Sandbox;
  repoHosts: RepoHost[];
  secrets: SecretStore | null;
  /** Which worker runs which agent; a takeover needs the lease of the earlier worker to have lapsed. */
  runLeases: RunLeases;
  scrubber: Scrubber;
  settings: EngineSettings;
  /** The workspace's settings: their network policy decides what the agent's container reaches. */
  workspaceSettings?: SettingsStore;
  /** The egress proxy; null when agents cannot use it (see egressUnavailable) or have a direct network. */
  egress?: EgressGateway | null;
  /** Why the egress proxy cannot serve agents here (a remote Docker engine): any policy but `none` is refused with it. */
  egressUnavailable?: string | null;
  /** Launch `envVars`, sealed; they join the agent-phase environment. */
  sessionEnv?: SessionEnvStore | null;
  /** Where the files the agent leaves under `artifacts/` are kept after each run. */
  artifacts?: ArtifactStore | null;
  /** Counts egress requests allowed and denied. */
  metrics?: Metrics;
  /** What is kept for machines left warm after a run (absent: nothing is dropped when they stop). */
  warmRuns?: WarmRuns;
}

/** What the agent's work turned into on the remote. */
export interface Delivery {
  pushed: boolean;
  /** The commit pushed, when something was. */
  sha: string | null;
  diffstat: string | null;
  pr: PullRequestRef | null;
  /** Each extra repository of a multi-repository agent (empty for one repository). */
  extras?: ExtraDelivery[];
}

const noDelivery: Delivery = { pushed: false, sha: null, diffstat: null, pr: null };
const eventTextChars = 4000;

/**
 * One run of one agent on this worker: host checkout → sandbox → loop → commit, push, PR. The
 * handler (run-agent.ts) decides what a failure means for the job; this class does the work and
 * keeps what it needs to push whatever is there when the run ends early.
 */
export class AgentRun {
  readonly dir: string;
  private handle: SandboxHandle | null = null;
  private host: RepoHost | null = null;
  private base: string | null = null;
  private protectedBranches: readonly string[] = defaultProtectedBranches;
  private defaultBranch: string | null = null;
  private existingBranch = false;
  private agentEnv: Record<string, string> = {};
  private dependencies: DependencyCheckout[] = [];
  /** The agent's other repositories, checked out on the host for this run. */
  private extras: ExtraCheckout[] = [];
  /** The description the primary's pull request was opened with in this run (linked to the others afterwards). */
  private openedBody: string | null = null;
  private pending: Promise<void> = Promise.resolve();
  private egress: EgressSession | null = null;
  /** The host checkout of the agent's last run was reused (its machine was kept warm), not cloned again. */
  private keptCheckout = false;
  /** The machine stays running after this run (see park): the checkout and the egress directory stay too. */
  private warm = false;
  /** A warm machine's checkout still being checked while the run goes on (checkoutBehind). */
  private gate: CheckoutGate | null = null;
  /** The host checkout of this run's prepare, made or checked. */
  private checkoutStep: Promise<void> | null = null;
  /** The saved conversation of a continuing run, read while it prepares (savedConversation). */
  private conversationRead: Promise<ModelMessage[] | null> | null = null;
  /** Denied egress per host, for the summary's "requests blocked" line. */
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly deps: EngineDeps,
    public agent: Agent,
    /** A resume, a retry or a takeover: reuse the container and the saved conversation. */
    private readonly continuing: boolean,
    private readonly signal: AbortSignal,
    private readonly log: Log,
  ) {
    this.dir = checkoutDir(deps.settings.dataDir, agent.id);
  }

  /** Appends an event with every secret the scrubber knows removed; events keep their order. */
  emit(event: AgentEvent): Promise<void> {
    const scrubbed = this.deps.scrubber.scrubDeep(event);
    this.pending = this.pending
      .then(() => this.deps.events.append(this.agent.id, scrubbed))
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: error, type: event.type }, 'event append failed'),
      );
    return this.pending;
  }

  /** Clone, branch, secrets, sandbox. */
  async prepare(): Promise<void> {
    const { agent, deps, signal } = this;
    const onLog = (phase: LogPhase, stream: 'stdout' | 'stderr' | 'system', text: string) => void this.emit({ type: 'log', phase, stream, text: cut(text, eventTextChars) });
    // Secrets, the checkout, the workspace's settings and (for a new machine) the egress proxy do
    // not wait for each other; a continuing run looks for its machine while the checkout is made.
    const settingsRead = Promise.resolve(deps.workspaceSettings?.get(agent.workspace));
    const secretsRead = this.resolveSecrets();
    // A continuing run's conversation is read meanwhile; a failed read is seen when the loop starts.
    if (this.continuing) this.savedConversation().catch(() => undefined);
    const found = this.continuing ? Promise.all([secretsRead, settingsRead]).then(([secrets, settings]) => this.findMachine(secrets.agent, policyOf(settings), onLog)) : Promise.resolve(null);
    const checkoutStep = agent.repo ? this.checkout() : emptyDir(this.dir).then(() => mkdir(this.dir));
    // Whatever happens next, cleanUp waits for it; its failure is seen where it is awaited.
    this.checkoutStep = checkoutStep;
    checkoutStep.catch(() => undefined);
    const [secrets, settings, reuse] = await allSettledOrThrow([secretsRead, settingsRead, found] as const).catch(async (error: unknown) => {
      await checkoutStep.catch(() => undefined);
      throw error;
    });
    // A warm machine's follow-up goes on while its checkout is checked (see checkoutBehind); any other run waits for it.
    if (!(reuse?.warm && agent.repo)) await checkoutStep;
    this.agentEnv = secrets.agent;
    const policy = policyOf(settings);
    const offline = isOffline(policy);
    if (!offline && deps.egressUnavailable) throw new ErrandError('not_configured', deps.egressUnavailable);
    if (reuse?.warm && agent.repo) {
      this.handle = this.checkoutBehind(reuse, checkoutStep);
    } else if (reuse) {
      if (agent.repo) await refreshGitDir(reuse, this.dir);
      this.handle = reuse;
    } else if (!offline && deps.egress) {
      if (this.egress) this.egress.setPhase('install');
      else this.egress = await deps.egress.open(agent.id, { policy, phase: 'install', onEvent: (event) => this.onEgress(event) });
    }
    if (reuse) {
      void this.emit({ type: 'milestone', name: 'resumed', text: reuse.warm ? 'resumed in the same container, still running' : 'resumed in the same container' });
    } else {
      const repo = machineRepoLabel(agent.repo);
      const environmentText = settings?.environments?.[repo];
      this.dependencies = agent.repo ? await this.cloneDependencies(environmentText) : [];
      this.handle = await deps.sandbox.prepare({
        agentId: agent.id,
        workspace: agent.workspace,
        repoDir: this.dir,
        repo,
        installEnv: secrets.install,
        ...(offline ? { network: 'none' } : {}),
        ...(this.egress ? { egress: { socketDir: this.egress.socketDir, enterAgentPhase: () => this.egress?.setPhase('agent') } } : {}),
        installSecretVersions: secrets.installVersions,
        agentEnv: secrets.agent,
        dependencies: this.dependencies.filter((d) => d.dir !== null).map((d) => ({ name: d.name, dir: d.dir! })),
        ...(environmentText ? { environmentText } : {}),
        signal,
        onLog,
        onMilestone: (name, text) => void this.emit({ type: 'milestone', name, text }),
      });
      await copyExtrasIntoMachine(this.handle, this.extras);
    }
    await this.pending;
  }

  /**
   * A warm machine got the host's .git when its last run ended, and a checkout reused as it was
   * has nothing newer; one made anew (the branch or base moved) is copied in. Until that is done
   * the handle holds every call back, so the model is asked while the remote is, and no tool sees
   * the machine before the checkout is right (see checkout-gate.ts).
   */
  private checkoutBehind(machine: SandboxHandle, checkoutStep: Promise<void>): SandboxHandle {
    this.gate = gateHandle(machine, checkoutStep.then(() => (this.keptCheckout ? undefined : refreshGitDir(machine, this.dir))));
    return this.gate.handle;
  }

  /** Re-attaches to the agent's container if it is still there, with the host checkout's git data copied in. */
  async attach(options: FindOptions = {}): Promise<SandboxHandle | null> {
    const found = await this.deps.sandbox.find(this.agent.id, options);
    if (!found) return null;
    if (this.agent.repo) await refreshGitDir(found, this.dir);
    await copyExtrasIntoMachine(found, this.extras);
    this.handle = found;
    return found;
  }

  /**
   * A continuing run's machine, if it is still there: the egress proxy opens first (in the agent
   * phase), since whether its directory was kept tells `find` that a warm machine's sidecar still
   * has it mounted. The repository facts come back with it, read in one exec.
   */
  private async findMachine(env: Record<string, string>, policy: NetworkPolicy, onLog: FindOptions['onLog']): Promise<SandboxHandle | null> {
    const { deps, agent } = this;
    if (!isOffline(policy) && deps.egress && !deps.egressUnavailable) {
      this.egress = await deps.egress.open(agent.id, { policy, phase: 'agent', onEvent: (event) => this.onEgress(event) });
    }
    return deps.sandbox.find(agent.id, { env, ...(onLog ? { onLog } : {}), egressKept: this.egress?.kept ?? false, facts: true });
  }

  /** Host checkout only, for a worker that pushes what a dead worker's container holds. */
  async checkout(): Promise<void> {
    const { agent, deps, signal } = this;
    if (!agent.repo) return;
    const host = repoHostFor(deps.repoHosts, agent.repo);
    const repo = agent.repo;
    this.host = host;
    const access = await host.access(repo, signal);
    deps.scrubber.add(access.token);
    // A checkout kept from the last run (its machine still warm) is checked against the remote; it
    // counts only if its base is still the agent's base. Its ls-remote names the default branch
    // too, so the host is asked for it only when that did not.
    const keptBase = this.continuing ? (agent.baseBranch ?? (await readKeptBase(this.dir))) : null;
    const keptRead = keptBase ? checkKeptCheckout(access, this.dir, keptBase, agent.branch, signal).catch(() => null) : Promise.resolve(null);
    const askHost = () => (agent.baseBranch ? host.defaultBranch(repo).catch(() => null) : host.defaultBranch(repo));
    const [defaultBranch, settings] = await Promise.all([
      keptRead.then((check) => check?.defaultBranch ?? askHost()),
      deps.workspaceSettings?.get(agent.workspace),
    ]);
    this.defaultBranch = defaultBranch;
    this.base = agent.baseBranch ?? defaultBranch ?? '';
    this.protectedBranches = settings?.protectedBranches ?? defaultProtectedBranches;
    // Checked at launch too; only here is the repository's default branch known.
    assertAgentBranch(agent.branch, { base: this.base, defaultBranch: this.defaultBranch, patterns: this.protectedBranches });
    const reused = (await keptRead)?.checkout ?? null;
    const kept = reused && keptBase === this.base ? reused : null;
    this.keptCheckout = kept !== null;
    if (kept) void this.emit({ type: 'log', phase: 'git', stream: 'system', text: 'reused the checkout of the last run: nothing to clone' });
    const checkout = kept ?? (await prepareCheckout(access, this.dir, this.base, agent.branch, signal));
    this.existingBranch = checkout.existingBranch;
    for (const submodule of checkout.submodules) {
      const text = submodule.ok ? `submodule ${submodule.path} initialised from ${submodule.url}` : `warning: submodule ${submodule.path} (${submodule.url}) was not initialised: ${cut(submodule.problem ?? '', 500)}`;
      void this.emit({ type: 'log', phase: 'git', stream: 'system', text });
    }
    await this.checkoutExtras();
  }

  /**
   * A multi-repository agent's other repositories: folders settled on its first run (and kept in
   * the record), cloned on the host on the agent's branch, kept out of the primary's git.
   */
  private async checkoutExtras(): Promise<void> {
    const { deps, signal } = this;
    if (!this.agent.extraRepos?.length) return;
    const extras = await settleFolders(this.agent, this.dir, !this.continuing);
    if (extras.some((extra, i) => extra.path !== this.agent.extraRepos?.[i]?.path)) {
      this.agent = await deps.store.update(this.agent.id, (a) => ({ ...a, extraRepos: extras }));
    }
    this.extras = await checkoutExtras(this.agent, extras, { hosts: deps.repoHosts, primaryDir: this.dir, protectedBranches: this.protectedBranches, onToken: (token) => deps.scrubber.add(token), signal });
    await excludeFromPrimary(this.dir, extras);
    void this.emit({ type: 'log', phase: 'git', stream: 'system', text: `other repositories: ${extras.map((extra) => `${repoLabel(extra.repo)} at /workspace/${extra.path}`).join(', ')} (branch ${this.agent.branch} in each)` });
  }

  /** The agent loop, with the conversation restored on resume and saved after every step. */
  async think(): Promise<LoopResult> {
    const { agent, deps, handle } = this;
    if (!handle) throw new Error('think() before prepare()');
    const resolved = deps.models.resolve(agent.model);
    const { gate } = this;
    try {
      const facts = await readRepoFacts(handle, this.signal);
      const system = systemPrompt({ agent, baseBranch: this.base ?? (await this.expectedBase()), facts });
      const messages = await this.startingMessages();
      const result = await this.loop(resolved, handle, system, messages, gate ? AbortSignal.any([this.signal, gate.failed]) : this.signal);
      await gate?.ready;
      // A run that ended without a tool call still fails if its machine never got ready.
      await handle.whenReady;
      return result;
    } finally {
      await this.checkoutSettled();
    }
  }

  /** The base while a warm machine's checkout is still checked: the agent's own, or the one its last run had. */
  private async expectedBase(): Promise<string | null> {
    return this.agent.baseBranch ?? (this.agent.repo ? readKeptBase(this.dir) : null);
  }

  /** Waits for a checkout still being made or checked (checkoutBehind), whatever it came to. */
  private async checkoutSettled(): Promise<void> {
    await Promise.allSettled([this.checkoutStep, this.gate?.ready]);
  }

  private loop(resolved: ReturnType<ModelRegistry['resolve']>, handle: SandboxHandle, system: string, messages: ModelMessage[], signal: AbortSignal): Promise<LoopResult> {
    const { agent, deps } = this;
    return runAgentLoop({
      model: resolved,
      sandbox: handle,
      tools: toolsFor(agent.mode),
      system,
      messages,
      limits: deps.settings.limits,
      signal,
      env: this.agentEnv,
      commandTimeoutMs: deps.settings.commandTimeoutMs,
      drainFollowUps: () => deps.inbox.drain(agent.id),
      emit: (event) => this.emit(event),
      onUsage: async (usage) => {
        this.agent = await deps.store.update(agent.id, (a) => ({
          ...a,
          usage: { inputTokens: a.usage.inputTokens + usage.inputTokens, outputTokens: a.usage.outputTokens + usage.outputTokens },
        }));
      },
      // The transcript kept for resume lands in the store (and its AOF): secrets out, as for events.
      onStep: (history) => deps.history.save(agent.id, deps.scrubber.scrubDeep(history), agent.expiresAt),
      endOnText: agent.mode !== 'agent',
      log: this.log,
    });
  }

  /**
   * Reads /workspace back, commits, pushes, and opens (or finds) the pull request. Does nothing in
   * ask and plan mode. `openPr` is false for a stopped agent: its work is pushed, but nobody asked for a PR.
   */
  async deliver(summary: string, options: { note?: string; openPr: boolean }): Promise<Delivery> {
    const primary = await this.deliverPrimary(summary, options);
    if (this.extras.length === 0 || this.agent.mode !== 'agent' || !this.handle) {
      if (primary.pushed) await this.saveDiff(primary.sha, []);
      return primary;
    }
    const extras: ExtraDelivery[] = [];
    const message = this.deps.scrubber.scrub(commitMessage(summary, this.agent, options.note));
    for (const item of this.extras) {
      let delivered: ExtraDelivery;
      try {
        delivered = await deliverExtra(item, {
          agent: this.agent, handle: this.handle, summary, message, bot: this.deps.settings.bot, openPr: options.openPr, protectedBranches: this.protectedBranches,
          scrubber: this.deps.scrubber, publicUrl: this.deps.settings.publicUrl, emit: (event) => this.emit(event), log: this.log,
          diffMaxBytes: this.deps.diffs && !this.agent.privacy ? this.deps.settings.diffMaxBytes ?? defaultDiffMaxBytes : null,
        });
      } catch (error) {
        // One repository that cannot be delivered (its folder gone, a refused push) does not keep the others from theirs.
        const failure = toErrandError(error);
        this.log.warn({ code: failure.code, err: failure, repo: repoLabel(item.extra.repo) }, 'could not deliver a repository');
        await this.emit({ type: 'error', code: failure.code, message: `${repoLabel(item.extra.repo)} was not pushed: ${failure.message}` });
        continue;
      }
      extras.push(delivered);
      // A mention on any of the agent's pull requests follows up on this agent, as on the primary's.
      const { pr, extra } = delivered;
      if (pr && extra.repo.fullName && pr.installationId !== undefined) {
        await this.deps.agents.addConversation(this.agent.id, { kind: 'github', installationId: pr.installationId, repo: extra.repo.fullName, number: pr.number, isPullRequest: true });
      }
    }
    await this.linkPullRequests(summary, primary, extras);
    if (primary.pushed || extras.some((extra) => extra.pushed)) await this.saveDiff(primary.sha ?? (await revParse(this.dir, 'HEAD')), extras.flatMap((extra) => (extra.diff ? [extra.diff] : [])));
    return { ...primary, extras };
  }

  /** Every pull request of the agent lists the others once this run opened one of them. */
  private async linkPullRequests(summary: string, primary: Delivery, extras: ExtraDelivery[]): Promise<void> {
    const { agent, deps, host } = this;
    const pulls: LinkedPull[] = [];
    const describe = (repo: RepoRef, stat: string | null) => deps.scrubber.scrub(pullRequestBody({ agent: { ...agent, repo }, summary, diffstat: stat, publicUrl: deps.settings.publicUrl }));
    if (primary.pr && agent.repo && host) pulls.push({ repo: agent.repo, host, pr: primary.pr, body: this.openedBody ?? describe(agent.repo, primary.diffstat) });
    for (const extra of extras) {
      if (extra.pr) pulls.push({ repo: extra.extra.repo, host: extra.host, pr: extra.pr, body: describe(extra.extra.repo, extra.diffstat) });
    }
    await linkPullRequests(pulls, this.openedBody !== null || extras.some((extra) => extra.opened), (event) => this.emit(event), this.log);
  }

  private async deliverPrimary(summary: string, options: { note?: string; openPr: boolean }): Promise<Delivery> {
    const { agent, deps, handle, host, base } = this;
    if (agent.mode !== 'agent' || !agent.repo || !handle || !host || !base) return noDelivery;
    // Only what the agent changed since the environment became ready: install and start output stays out.
    const changes = await handle.changesSinceReady();
    if (!changes) this.log.info({ agentId: agent.id }, 'no ready state recorded: importing the whole work tree');
    // The artifacts folder is handed over separately, never committed (unless the repository tracks it).
    const tracksArtifacts = await tracks(this.dir, artifactsFolder);
    const only = changes && !tracksArtifacts ? { changed: changes.changed.filter(outsideArtifacts), deleted: changes.deleted.filter(outsideArtifacts) } : changes;
    await importWorkTree(this.dir, await handle.readArchive(handle.workdir), only ? { only } : {});
    if (!only && !tracksArtifacts) await rm(join(this.dir, artifactsFolder), { recursive: true, force: true });
    const coAuthor = agent.owner.email ? { name: agent.owner.name, email: agent.owner.email } : null;
    const message = deps.scrubber.scrub(commitMessage(summary, agent, options.note));
    const commit = await commitAll(this.dir, { message, author: deps.settings.bot, coAuthor });
    const head = await revParse(this.dir, 'HEAD');
    const remoteHead = this.existingBranch ? await revParse(this.dir, `refs/remotes/origin/${agent.branch}`) : null;
    let pushed = false;
    if (commit || (this.existingBranch && head !== remoteHead)) {
      // A fresh access: installation tokens expire during long runs.
      const access = await host.access(agent.repo);
      deps.scrubber.add(access.token);
      await push(access, this.dir, agent.branch, { protect: { base, defaultBranch: this.defaultBranch, patterns: this.protectedBranches } });
      pushed = true;
      await this.emit({ type: 'milestone', name: 'pushed', text: `pushed ${agent.branch}`, data: { branch: agent.branch, sha: head ?? '' } });
    }
    if (!pushed && !this.existingBranch) return noDelivery;
    const stat = formatDiffstat(await diffstat(this.dir, `refs/remotes/origin/${base}`));
    const pr = await this.pullRequest(summary, stat, pushed, options.openPr);
    return { pushed, sha: pushed ? head : null, diffstat: stat, pr };
  }

  /**
   * Keeps the pushed branch's diff against its base for the dashboard, with the other
   * repositories' (`repos`): scrubbed, at most `diffMaxBytes` each (beyond that only its size),
   * never for a privacy-mode agent. A diff that cannot be made is logged, not fatal: the push is
   * what matters.
   */
  private async saveDiff(head: string | null, repos: RepoDiff[]): Promise<void> {
    const { agent, deps, base } = this;
    if (!deps.diffs || agent.privacy || !base) return;
    try {
      const diff = await branchDiff(this.dir, base, deps.settings.diffMaxBytes ?? defaultDiffMaxBytes, deps.scrubber);
      await deps.diffs.save(agent.id, { ...diff, base, branch: agent.branch, sha: head, at: new Date().toISOString(), ...(repos.length ? { repos } : {}) }, agent.expiresAt);
    } catch (error) {
      this.log.warn({ err: error, agentId: agent.id }, 'could not save the diff for the dashboard');
    }
  }

  private async pullRequest(summary: string, stat: string | null, pushed: boolean, mayOpen: boolean): Promise<PullRequestRef | null> {
    const { agent, deps, host, base } = this;
    if (!agent.repo || !host || !base) return null;
    try {
      const known: PullRequestRef | null = agent.prNumber && agent.prUrl ? { number: agent.prNumber, url: agent.prUrl } : await host.findPullRequest(agent.repo, agent.branch);
      let pr = known;
      if (known) {
        if (pushed) await this.emit({ type: 'milestone', name: 'pr_updated', text: `updated pull request #${known.number}`, data: { number: known.number, url: known.url } });
      } else if (agent.autoPr && mayOpen) {
        const body = deps.scrubber.scrub(pullRequestBody({ agent, summary, diffstat: stat, publicUrl: deps.settings.publicUrl }));
        pr = await host.openPullRequest({ repo: agent.repo, head: agent.branch, base, title: agent.title, body, draft: true });
        if (pr) this.openedBody = body;
        if (pr) await this.emit({ type: 'milestone', name: 'pr_opened', text: `opened draft pull request #${pr.number}`, data: { number: pr.number, url: pr.url } });
      }
      if (!pr) return null;
      const installationId = pr.installationId ?? githubInstallation(agent);
      if (agent.repo.fullName && installationId !== undefined) {
        await deps.agents.addConversation(agent.id, { kind: 'github', installationId, repo: agent.repo.fullName, number: pr.number, isPullRequest: true });
      }
      return pr;
    } catch (error) {
      // The branch is pushed; a pull request that could not be opened is reported, not fatal.
      const failure = toErrandError(error);
      this.log.warn({ code: failure.code, err: failure }, 'pull request failed');
      await this.emit({ type: 'error', code: failure.code, message: `the branch is pushed, but the pull request failed: ${failure.message}` });
      return null;
    }
  }

  /**
   * Keeps what the agent left under /workspace/artifacts (bounded; see collectArtifacts) and
   * returns the summary's line about it. Privacy mode keeps no files past the run: nothing is
   * collected. Never fails the run: a problem is one warning event.
   */
  async collectArtifacts(): Promise<string | null> {
    const { agent, deps, handle } = this;
    if (!handle || !deps.artifacts || agent.privacy) return null;
    try {
      const { files, skipped } = await collectArtifacts(handle, new Date());
      if (files.length === 0 && skipped.length === 0 && (await deps.artifacts.list(agent.id)).length === 0) return null;
      await deps.artifacts.replace(agent, files);
      const names = files.map((file) => file.name);
      if (files.length > 0) await this.emit({ type: 'milestone', name: 'artifacts_collected', text: `kept ${files.length} artifact${files.length === 1 ? '' : 's'}: ${cut(names.join(', '), 500)}`, data: { count: files.length } });
      if (skipped.length > 0) await this.emit({ type: 'log', phase: 'agent', stream: 'system', text: `warning: artifacts not kept: ${cut(skipped.join(', '), 1000)}` });
      return artifactsLine(files, agent.id);
    } catch (error) {
      this.log.warn({ err: error }, 'could not collect artifacts');
      await this.emit({ type: 'log', phase: 'agent', stream: 'system', text: `warning: the artifacts could not be collected: ${cut(toErrandError(error).message, 500)}` });
      return null;
    }
  }

  /**
   * A plan run explores but changes nothing: what its commands changed in /workspace since the
   * environment became ready is put back as the branch has it, so a later `agent` run starts clean.
   */
  async undoPlanChanges(): Promise<void> {
    const { handle } = this;
    if (!handle || !this.agent.repo) return;
    const changes = await handle.changesSinceReady();
    if (!changes) return;
    const paths = [...changes.changed, ...changes.deleted].filter(outsideArtifacts);
    if (paths.length === 0) return;
    const script = `set -e
cd /workspace
g() { git -c safe.directory='*' -c core.hooksPath=/dev/null "$@"; }
while IFS= read -r -d '' path; do
  if g cat-file -e "HEAD:$path" 2>/dev/null; then g checkout -q HEAD -- "$path"; else rm -rf -- "$path"; fi
done`;
    const result = await handle.exec(script, { cwd: '/', timeoutMs: 120_000, stdin: paths.map((path) => `${path}\0`).join('') });
    if (result.exitCode !== 0) this.log.warn({ exitCode: result.exitCode }, 'could not undo the plan run\'s changes');
    else await this.emit({ type: 'log', phase: 'git', stream: 'system', text: `plan mode: undid changes to ${paths.length} file${paths.length === 1 ? '' : 's'} made while exploring` });
  }

  /** A plan run in the other repositories: their tracked files go back to the branch, new (not ignored) files go. */
  async undoPlanChangesInExtras(): Promise<void> {
    const { handle } = this;
    if (!handle || this.extras.length === 0) return;
    const script = this.extras
      .map((item) => `( cd '/workspace/${item.extra.path}' 2>/dev/null && git -c safe.directory='*' -c core.hooksPath=/dev/null checkout -q -- . && git -c safe.directory='*' -c core.hooksPath=/dev/null clean -fdq ) || echo "could not reset ${item.extra.path}"`)
      .join('\n');
    const result = await handle.exec(script, { cwd: '/', timeoutMs: 120_000 });
    if (result.output.trim()) this.log.warn({ output: result.output.slice(0, 500) }, 'could not undo the plan run\'s changes in every repository');
  }

  /**
   * The run is over: the machine is stopped, at once or after the idle grace (a follow-up or
   * `errand attach` starts it again). A machine kept warm gets the host's `.git` now (with this
   * run's commit), so a follow-up within the grace can start without copying it.
   */
  async park(): Promise<void> {
    const { handle } = this;
    const parked = await this.deps.sandbox.park(this.agent.id).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not stop the agent machine');
      return 'stopped' as const;
    });
    this.warm = parked === 'warm';
    if (this.warm && handle && this.agent.repo) {
      await Promise.all([
        refreshGitDir(handle, this.dir).catch((error: unknown) => this.log.warn({ err: error }, 'could not refresh the machine\'s .git')),
        this.base ? keepBase(this.dir, this.base).catch(() => undefined) : undefined,
      ]);
    }
    // Read once the machine holds what a follow-up will find, and before the run settles: off the follow-up's path.
    if (this.warm) await this.deps.sandbox.keepFacts?.(this.agent.id);
  }

  /** Drops what privacy mode keeps only for the run: the conversation and the event transcript. */
  async forgetTranscript(): Promise<void> {
    await this.pending;
    await this.deps.history.clear(this.agent.id);
    await this.deps.events.clear(this.agent.id);
  }

  /**
   * "3 requests blocked (a.com, b.org) — allow with …" for the summary and the PR body, as
   * Copilot's firewall reports; null when nothing was blocked.
   */
  blockedNote(): string | null {
    if (this.blocked.size === 0) return null;
    const total = [...this.blocked.values()].reduce((sum, n) => sum + n, 0);
    const hosts = [...this.blocked.keys()];
    const shown = hosts.slice(0, 5).join(', ') + (hosts.length > 5 ? `, … ${hosts.length - 5} more` : '');
    const domains = hosts.filter((host) => host !== '*' && !/^[\d.]+$|:/.test(host));
    const allow = domains.length > 0 ? domains.slice(0, 5).join(',') : 'example.com';
    return `${total} network request${total === 1 ? '' : 's'} blocked (${shown}) — allow with \`errand settings set networkAllowlist=…,${allow}\` or on the dashboard's Settings page.`;
  }

  private onEgress(event: EgressEvent): void {
    if (!event.allowed) this.blocked.set(event.host, (this.blocked.get(event.host) ?? 0) + 1);
    this.deps.metrics?.egressRequest(event.allowed);
    void this.emit(event);
  }

  async cleanUp(): Promise<void> {
    await this.checkoutSettled();
    await this.egress?.close({ keepDir: this.warm }).catch((error: unknown) => this.log.warn({ err: error }, 'could not close the egress proxy'));
    this.egress = null;
    await this.pending;
    // The other repositories are cloned again by every run (a warm machine keeps its copies of them).
    await rm(extraReposDir(this.dir), { recursive: true, force: true }).catch((error: unknown) => this.log.warn({ err: error }, 'could not remove the other repositories\' checkouts'));
    // A warm machine's follow-up reuses the checkout (checkKeptCheckout); it goes when the machine stops (dropWarmRun).
    if (this.warm) return;
    for (const dir of [this.dir, `${this.dir}-deps`]) {
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => this.log.warn({ err: error }, 'could not remove the checkout'));
    }
  }

  /**
   * Clones the environment's `repositoryDependencies` on the host, beside the checkout, with the
   * same hosts and token rules as the agent's repository. Each one that fails is one warning in
   * the environment log; the run goes on without it.
   */
  private async cloneDependencies(environmentText: string | undefined): Promise<DependencyCheckout[]> {
    let references: string[];
    try {
      references = environmentOf(this.dir, environmentText).dependencies;
    } catch {
      return []; // An unusable environment file is reported by the sandbox, with its fix.
    }
    if (references.length === 0) return [];
    const cloned = await cloneDependencies(this.deps.repoHosts, references, `${this.dir}-deps`, this.signal, (token) => this.deps.scrubber.add(token));
    for (const dependency of cloned) {
      if (dependency.error !== undefined) {
        void this.emit({ type: 'log', phase: 'environment', stream: 'system', text: `warning: repository dependency ${dependency.reference} was not cloned: ${cut(dependency.error, 500)}` });
      }
    }
    return cloned;
  }

  private async startingMessages(): Promise<ModelMessage[]> {
    const { agent } = this;
    const continuing = this.continuing;
    const previous = continuing ? await this.savedConversation() : null;
    if (previous && previous.length > 0) return previous;
    const task = taskMessage(agent);
    if (!continuing) return [{ role: 'user', content: task }];
    return [{ role: 'user', content: `${task}\n\n(You worked on this before; that conversation is no longer available. Your earlier work is on the branch.)` }];
  }

  /**
   * The conversation a continuing run carries on, read once: `prepare` starts the read (its last
   * run has ended, so nothing changes it meanwhile) and the loop's start finds it done.
   */
  private savedConversation(): Promise<ModelMessage[] | null> {
    this.conversationRead ??= this.deps.history.load(this.agent.id);
    return this.conversationRead;
  }

  /** The agent's launch envVars, taught to the scrubber; empty when none were given. */
  private async sessionEnv(): Promise<Record<string, string>> {
    if (!this.agent.envVarNames?.length) return {};
    if (!this.deps.sessionEnv) throw new ErrandError('not_configured', 'this agent was launched with envVars, but this worker has no secret store to read them: set ERRAND_MASTER_KEY on the worker');
    const vars = await this.deps.sessionEnv.get(this.agent);
    for (const value of Object.values(vars)) this.deps.scrubber.add(value);
    return vars;
  }

  private async resolveSecrets(): Promise<{ install: Record<string, string>; agent: Record<string, string>; installVersions: string[] }> {
    const store = this.deps.secrets;
    if (!store) return { install: {}, agent: await this.sessionEnv(), installVersions: [] };
    const repo = this.agent.repo ? (this.agent.repo.fullName ?? this.agent.repo.url) : undefined;
    const scope = { workspace: this.agent.workspace, ...(repo ? { repo } : {}) };
    const [install, agent, workspaceInfo, repoInfo] = await Promise.all([
      store.resolve(scope, 'install'),
      store.resolve(scope, 'agent'),
      store.list({ workspace: this.agent.workspace }),
      repo ? store.list(scope) : Promise.resolve([]),
    ]);
    for (const value of [...Object.values(install), ...Object.values(agent)]) this.deps.scrubber.add(value);
    // Launch envVars join the agent phase and win over secrets of the same name (install never sees them).
    Object.assign(agent, await this.sessionEnv());
    // Names and versions only, in the order resolve overlays them (a repository secret wins).
    const versions = new Map<string, string>();
    for (const info of [...workspaceInfo, ...repoInfo]) versions.set(info.name, `${info.name}@${info.scope.repo ? 'repo' : 'workspace'}@${info.updatedAt}`);
    const installVersions = Object.keys(install).map((name) => versions.get(name) ?? `${name}@unknown`);
    return { install, agent, installVersions };
  }
}

const openNetwork: NetworkPolicy = { install: 'full', agent: 'full', allowlist: [] };

function policyOf(settings: Settings | null | undefined): NetworkPolicy {
  return settings ? networkPolicy(settings) : openNetwork;
}

/** Both phases without a network: no proxy, no sidecar. */
function isOffline(policy: NetworkPolicy): boolean {
  return policy.install === 'none' && policy.agent === 'none';
}

/** Waits for every step (none is left running behind a failure), then throws the first failure. */
async function allSettledOrThrow<T extends readonly unknown[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

function outsideArtifacts(path: string): boolean {
  return path !== artifactsFolder && !path.startsWith(`${artifactsFolder}/`);
}

/** Whether the checkout's HEAD tracks anything under `path`. */
async function tracks(dir: string, path: string): Promise<boolean> {
  return (await lsTree(dir, path)).length > 0;
}

/** The installation of a GitHub conversation the agent already has on its own repository. */
function githubInstallation(agent: Agent): number | undefined {
  const repo = agent.repo?.fullName?.toLowerCase();
  for (const conversation of agent.conversations) {
    if (conversation.kind === 'github' && conversation.repo.toLowerCase() === repo) return conversation.installationId;
  }
  return undefined;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [cut]`;
}
