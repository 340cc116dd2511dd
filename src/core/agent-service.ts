import type { Agent, AgentMode } from './agent.js';
import type { ArtifactInfo } from './artifacts.js';
import { assertEnvVars } from './env-vars.js';
import { branchName, titleFrom } from './branch-name.js';
import { conversationKey, type Conversation } from './conversation.js';
import { ErrandError, isErrandError } from './errors.js';
import { assertDistinctRepos, newExtraRepos } from './extra-repos.js';
import { Forgetter } from './forget.js';
import type { AgentEvent } from './events.js';
import { newAgentId } from './ids.js';
import { assertModelKnown, assertRepoAllowed, type LaunchCapabilities } from './launch-checks.js';
import { assertAgentBranch } from './protected-branch.js';
import { maxRepos, parseFollowUpMode, parseLaunchRequest, type LaunchOptions } from './launch-request.js';
import { assertMayFollowUp, assertMayLaunch, assertMayStop, isAdmin } from './policy.js';
import type { Principal } from './principal.js';
import { principalKey, samePrincipal } from './principal.js';
import type { RunQueue, StopSignals } from './ports/queue.js';
import type { Metrics } from './ports/metrics.js';
import type { RunLeases } from './ports/run-lease.js';
import type { Clock, Log } from './ports/runtime.js';
import type { ContainerRemover } from './ports/sandbox.js';
import type { ArtifactStore, SessionEnvStore } from './ports/session.js';
import type { AgentKeys, AgentPage, AgentQuery, AgentStore, ArchiveFlags, AuditLog, EventLog, Inbox, QueuePosition, SettingsStore } from './ports/store.js';
import { parseRepoRef } from './repo-ref.js';
import type { Settings } from './settings.js';
import { assertTransition, isActive, isSettled, type AgentStatus } from './status.js';

export interface AgentServiceDeps {
  agents: AgentStore;
  events: EventLog;
  inbox: Inbox;
  queue: RunQueue;
  stops: StopSignals;
  settings: SettingsStore;
  clock: Clock;
  log: Log;
  /** The server's default model when the workspace sets none. */
  defaultModel: string | null;
  newId?: () => string;
  /** Records who launched, followed up and stopped which agent. */
  audit?: AuditLog;
  /** ERRAND_LOCAL_REPOS=allow: admin API keys may launch on a path or file:// URL of this server. */
  localRepos?: boolean;
  /** Which agents a live worker runs: a stop of an agent whose worker died ends it here. */
  runLeases?: RunLeases;
  /** What `forget` deletes in the store. */
  agentKeys: AgentKeys;
  /** Removes containers (default: none here; a worker plugs its sandbox or a signal in). */
  containers?: ContainerRemover;
  /** Models and repository hosts the server serves, checked at launch (skipped when absent). */
  capabilities?: LaunchCapabilities;
  /** Keeps launch `envVars` sealed; without it a launch with envVars is refused. */
  sessionEnv?: SessionEnvStore;
  /** The files agents left under `artifacts/`. */
  artifacts?: ArtifactStore;
  /** Counts launches by front end. */
  metrics?: Metrics;
  /** Archived agents take no follow-up from any front end (without it, none is archived). */
  runs?: ArchiveFlags;
}

export interface LaunchInput {
  principal: Principal;
  workspace: string;
  conversation: Conversation;
  /** Raw text with options (`repo=a/b fix it`), as typed in Slack or GitHub. */
  text?: string;
  /** The prompt verbatim, with no options parsed out of it (the API: options come structured). Wins over `text`. */
  prompt?: string;
  /** Structured options (the API); they win over options written in `text`. */
  options?: LaunchOptions;
  context?: string;
  /** A repository implied by where the request came from (a GitHub issue's repo). */
  impliedRepo?: string;
  /** Work on this existing branch (a pull request's head) instead of a new one. */
  branch?: string;
  /**
   * Called once the request has passed every check, before anything is stored: lets a front end
   * create the place the agent will live in (Slack posts the thread's root message) and return
   * the conversation that names it. A throw stores nothing.
   */
  openConversation?: (agent: Agent) => Promise<Conversation>;
  /**
   * The agent's id, when the front end derives it from its request (a Slack command's job): a
   * retried job then launches, and posts for, the same agent. Unset: a new random id.
   */
  id?: string;
  /** The front end vouches that the principal is a platform admin (an admin API key). */
  platformAdmin?: boolean;
  /**
   * Session environment variables for the agent's commands: sealed, never in job data, events,
   * logs or API output (only their names), forgotten with the agent. `ERRAND_*` names are refused.
   */
  envVars?: Record<string, string>;
}

export interface LaunchResult {
  agent: Agent;
  /** Runs of this workspace or person already active: the new one waits behind them. */
  queuedBehind: number;
}

export interface FollowUpResult {
  agent: Agent;
  /** The agent was done and resumes with this follow-up. */
  resumed: boolean;
  /** Place in the agent's inbox when it is busy (1 = read next). */
  position: number;
  /** This request id was delivered before (a platform's retry): nothing new was queued. */
  duplicate?: boolean;
}

/** The use cases every front end calls. Policy is checked here, once, for all of them. */
export class AgentService {
  /** The one way an agent is let go of: DELETE, expiry and retention all go through it. */
  readonly forgetter: Forgetter;

  constructor(private readonly deps: AgentServiceDeps) {
    this.forgetter = new Forgetter({ agentKeys: deps.agentKeys, queues: [deps.queue], containers: deps.containers ?? { remove: async () => undefined }, log: deps.log });
  }

  async launch(input: LaunchInput): Promise<LaunchResult> {
    const parsed = input.prompt !== undefined ? { options: {}, prompt: input.prompt.trim() } : parseLaunchRequest(input.text ?? '');
    const options: LaunchOptions = { ...parsed.options, ...input.options };
    const prompt = parsed.prompt;
    if (!prompt) {
      throw new ErrandError('empty_prompt', 'tell the agent what to do, e.g. `/agent repo=owner/name fix the flaky login test`');
    }
    const settings = await this.deps.settings.get(input.workspace);
    assertMayLaunch(input.principal, settings, input.platformAdmin ?? false);
    const envVars = input.envVars && Object.keys(input.envVars).length > 0 ? input.envVars : null;
    if (envVars) {
      assertEnvVars(envVars);
      if (!this.deps.sessionEnv) throw new ErrandError('not_configured', 'this server cannot keep envVars: it has no secret store. Ask its admin to set ERRAND_MASTER_KEY');
      await this.deps.sessionEnv.assertAvailable();
    }

    const asked = requestedRepos(input.options ?? {}) ?? requestedRepos(parsed.options);
    const repoText = asked?.[0] ?? input.impliedRepo ?? channelRepo(input.conversation, settings) ?? (settings.defaultRepo || undefined);
    const model = options.model ?? (settings.defaultModel || this.deps.defaultModel);
    if (!model) {
      throw new ErrandError('not_configured', 'no model is configured: set ERRAND_MODEL (e.g. openai:gpt-4.1) or pass model=provider:name');
    }
    const mode: AgentMode = options.mode ?? 'agent';
    const now = this.deps.clock.now();
    const id = input.id ?? (this.deps.newId ?? newAgentId)();
    const agent: Agent = {
      id,
      owner: input.principal,
      workspace: input.workspace,
      title: titleFrom(prompt),
      prompt,
      context: input.context ?? null,
      repo: repoText ? parseRepoRef(repoText) : null,
      baseBranch: options.branch ?? (settings.baseBranch || null),
      branch: input.branch ?? branchName(prompt, id),
      model,
      mode,
      // A plan never opens one itself; the agent-mode follow-up that carries it out does.
      autoPr: options.autopr ?? mode !== 'ask',
      status: 'queued',
      conversations: [input.conversation],
      prUrl: null,
      prNumber: null,
      summary: null,
      error: null,
      privacy: options.privacy ?? settings.privacyMode,
      ...(envVars ? { envVarNames: Object.keys(envVars).sort() } : {}),
      usage: { inputTokens: 0, outputTokens: 0 },
      version: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      expiresAt: new Date(now.getTime() + settings.retentionDays * 86_400_000).toISOString(),
    };
    if (!agent.repo && mode !== 'ask') {
      throw new ErrandError('invalid_request', 'which repository? add `repo=owner/name`, or ask an admin to set a default repo');
    }
    assertAgentBranch(agent.branch, { base: agent.baseBranch, patterns: settings.protectedBranches });
    if (agent.repo) assertRepoAllowed(agent.repo, { principal: input.principal, platformAdmin: input.platformAdmin ?? false }, this.deps.localRepos ?? false);
    if (agent.repo) this.deps.capabilities?.assertRepoServed?.(agent.repo);
    if (asked && asked.length > 1) {
      // Every repository passes the same checks as the primary one, so the answer names the first bad one.
      const extras = asked.slice(1).map((text) => parseRepoRef(text));
      for (const ref of extras) {
        assertRepoAllowed(ref, { principal: input.principal, platformAdmin: input.platformAdmin ?? false }, this.deps.localRepos ?? false);
        this.deps.capabilities?.assertRepoServed?.(ref);
      }
      assertDistinctRepos([agent.repo!, ...extras]);
      agent.extraRepos = newExtraRepos(extras);
    }
    assertModelKnown(model, this.deps.capabilities);
    if (input.openConversation) agent.conversations = [await input.openConversation(agent)];
    const queuedBehind = await this.activeAhead(agent, settings);
    await this.deps.agents.create(agent);
    // Sealed beside the record before the job exists, so the run always finds them.
    if (envVars) await this.deps.sessionEnv!.set(agent, envVars);
    await this.deps.events.append(id, { type: 'status', status: 'queued' });
    await this.deps.queue.enqueue('run', id);
    await this.audit(input.principal, 'agent.launch', agent);
    this.deps.metrics?.launched(input.conversation.kind);
    this.deps.log.info({ agentId: id, workspace: input.workspace, queuedBehind }, 'agent launched');
    return { agent, queuedBehind };
  }

  /**
   * Queues a follow-up and resumes a settled agent with it. `mode=plan|agent|ask` in the text (or
   * `options.mode`, which wins) switches the agent's mode from its next run on: a plan is carried
   * out by a follow-up in `agent` mode. With `requestId` (the platform's event or delivery id) a
   * retried delivery queues nothing twice; it still resumes the agent if the first attempt queued
   * the follow-up but failed before resuming it.
   */
  async followUp(
    agentId: string,
    author: Principal,
    text: string,
    source: Conversation,
    platformAdmin = false,
    options: { mode?: AgentMode; requestId?: string } = {},
  ): Promise<FollowUpResult> {
    let agent = await this.require(agentId);
    const settings = await this.deps.settings.get(agent.workspace);
    assertMayFollowUp(author, agent, settings, platformAdmin);
    if (agent.status === 'expired') {
      throw new ErrandError('conflict', 'this agent has expired; start a new one');
    }
    if (await this.deps.runs?.archivedAt(agentId)) {
      throw new ErrandError('conflict', `agent ${agentId} is archived: unarchive it (POST /v1/agents/${agentId}/unarchive) to give it new prompts, or start a new agent`);
    }
    const parsed = parseFollowUpMode(text);
    const mode = options.mode ?? parsed.mode;
    let trimmed = parsed.text.trim();
    if (!trimmed && mode === 'agent' && agent.mode !== 'agent') trimmed = 'Carry out the plan.';
    if (!trimmed) throw new ErrandError('empty_prompt', 'a follow-up needs some text');
    if (mode && mode !== agent.mode) {
      if (!agent.repo && mode !== 'ask') throw new ErrandError('invalid_request', `this agent has no repository, so it cannot switch to \`mode=${mode}\``);
      agent = await this.deps.agents.update(agentId, (a) => ({ ...a, mode }));
      await this.deps.events.append(agentId, { type: 'milestone', name: 'mode_changed', text: `${author.name} switched the agent to ${mode} mode`, data: { mode } });
      trimmed = `(Mode is now ${mode}.${mode === 'agent' ? ' You may edit files now: carry out the plan you wrote unless told otherwise.' : ''})\n${trimmed}`;
    }
    const sourceKey = conversationKey(source);
    const pushed = await this.deps.inbox.push(agentId, { author, text: trimmed, source: sourceKey, at: this.deps.clock.now().toISOString() }, options.requestId);
    const duplicate = pushed === null;
    if (!duplicate) {
      await this.deps.events.append(agentId, { type: 'follow_up', author, text: trimmed, source: sourceKey });
      await this.addConversation(agentId, source);
      await this.audit(author, 'agent.follow_up', agent);
    }
    const position = pushed ?? (await this.deps.inbox.size(agentId));
    const result = { position, ...(duplicate ? { duplicate } : {}) };
    // A duplicate resumes only what its first delivery queued and left waiting.
    if (!isSettled(agent.status) || (duplicate && position === 0)) return { agent, resumed: false, ...result };

    const resumed = await this.transition(agentId, 'queued', { message: 'resuming with a follow-up' });
    await this.deps.queue.enqueue('resume', agentId);
    return { agent: resumed, resumed: true, ...result };
  }

  async stop(agentId: string, by: Principal, platformAdmin = false): Promise<Agent> {
    const agent = await this.require(agentId);
    const settings = await this.deps.settings.get(agent.workspace);
    assertMayStop(by, agent, settings, platformAdmin);
    if (!isActive(agent.status)) return agent;
    await this.audit(by, 'agent.stop', agent);
    return this.stopActive(agentId, by);
  }

  /**
   * A queued agent stops here; a running one gets the stop signal its worker listens to. When no
   * live worker holds the agent's run lease (its worker died), nobody would hear the signal: the
   * agent stops here too, and a `salvage` job lets any worker push what its container holds.
   * The store's compare-and-set decides every race with a worker picking the agent up or taking
   * it over; the loser looks again.
   */
  private async stopActive(agentId: string, by: Principal): Promise<Agent> {
    for (let round = 0; ; round += 1) {
      const agent = await this.require(agentId);
      if (!isActive(agent.status)) return agent;
      const orphaned = agent.status !== 'queued' && this.deps.runLeases !== undefined && !(await this.deps.runLeases.held(agentId));
      if (agent.status === 'queued' || orphaned) {
        const message = orphaned
          ? `stopped by ${by.name}; its worker had stopped, so another worker pushes the work so far`
          : `stopped by ${by.name} before it started`;
        try {
          const stopped = await this.transition(agentId, 'stopped', { message, patch: orphaned ? { summary: 'Stopped on request after its worker stopped.' } : {} });
          await this.deps.queue.cancel(agentId);
          if (orphaned) {
            await this.deps.queue.enqueue('salvage', agentId);
            // In case the worker is alive after all and only its lease lapsed (Redis was slow).
            await this.deps.stops.requestStop(agentId);
          }
          return stopped;
        } catch (error) {
          if (!isErrandError(error, 'invalid_transition') || round >= 3) throw error;
          continue;
        }
      }
      await this.deps.events.append(agentId, { type: 'milestone', name: 'stop_requested', text: `${by.name} asked the agent to stop` });
      await this.deps.stops.requestStop(agentId);
      return agent;
    }
  }

  /**
   * Stops the agent if it is active, then forgets it everywhere: container, queue jobs, record,
   * indexes, events, inbox, history, cursors and front-end state. Same rights as stop.
   */
  async delete(agentId: string, by: Principal, platformAdmin = false): Promise<void> {
    const agent = await this.require(agentId);
    const settings = await this.deps.settings.get(agent.workspace);
    assertMayStop(by, agent, settings, platformAdmin);
    if (isActive(agent.status)) await this.stop(agentId, by, platformAdmin);
    await this.forgetter.forget(agent);
    await this.audit(by, 'agent.delete', agent);
    this.deps.log.info({ agentId, workspace: agent.workspace }, 'agent deleted');
  }

  /**
   * The files the agent left under `artifacts/` at the end of its last run: for its owner and the
   * workspace's admins only (anyone else gets not_found, as for the agent itself).
   */
  async listArtifacts(principal: Principal, agentId: string, platformAdmin = false): Promise<ArtifactInfo[]> {
    const agent = await this.deps.agents.get(agentId);
    if (agent) {
      const settings = await this.deps.settings.get(agent.workspace);
      if (samePrincipal(principal, agent.owner) || (principal.workspace === agent.workspace && isAdmin(principal, settings, platformAdmin))) {
        return this.deps.artifacts ? this.deps.artifacts.list(agentId) : [];
      }
    }
    throw new ErrandError('not_found', `no agent ${agentId} (it may have expired or been deleted, or it is not yours)`);
  }

  async get(agentId: string): Promise<Agent | null> {
    return this.deps.agents.get(agentId);
  }

  async require(agentId: string): Promise<Agent> {
    const agent = await this.deps.agents.get(agentId);
    if (!agent) throw new ErrandError('not_found', `no agent ${agentId} (it may have expired)`);
    return agent;
  }

  list(query: AgentQuery): Promise<AgentPage> {
    return this.deps.agents.list(query);
  }

  /** Where a queued agent waits in its workspace, and how many agents run there now. */
  queuePosition(agent: Pick<Agent, 'id' | 'workspace'>): Promise<QueuePosition> {
    return this.deps.agents.queuePosition(agent);
  }

  /** The agent living in a conversation (a Slack thread, an issue or PR), newest first. */
  async findByConversation(conversation: Conversation): Promise<Agent | null> {
    const page = await this.deps.agents.list({ conversationKey: conversationKey(conversation), limit: 1 });
    return page.agents[0] ?? null;
  }

  /** Moves an agent through the status machine and records it; illegal moves throw. */
  async transition(
    agentId: string,
    to: AgentStatus,
    extra: { message?: string; patch?: Partial<Omit<Agent, 'id' | 'status' | 'version'>> } = {},
  ): Promise<Agent> {
    const now = this.deps.clock.now().toISOString();
    const updated = await this.deps.agents.update(agentId, (agent) => {
      assertTransition(agent.status, to);
      return {
        ...agent,
        ...extra.patch,
        status: to,
        startedAt: to === 'preparing' ? (agent.startedAt ?? now) : agent.startedAt,
        finishedAt: isSettled(to) ? now : to === 'queued' ? null : agent.finishedAt,
        error: to === 'queued' || to === 'preparing' ? null : (extra.patch?.error ?? agent.error),
      };
    });
    const event: AgentEvent = extra.message ? { type: 'status', status: to, message: extra.message } : { type: 'status', status: to };
    await this.deps.events.append(agentId, event);
    return updated;
  }

  async addConversation(agentId: string, conversation: Conversation): Promise<void> {
    const key = conversationKey(conversation);
    if (conversation.kind === 'api') return;
    await this.deps.agents.update(agentId, (agent) =>
      agent.conversations.some((c) => conversationKey(c) === key) ? agent : { ...agent, conversations: [...agent.conversations, conversation] },
    );
    await this.deps.agents.linkConversation(agentId, key);
  }

  private async audit(actor: Principal, action: 'agent.launch' | 'agent.follow_up' | 'agent.stop' | 'agent.delete', agent: Agent): Promise<void> {
    await this.deps.audit?.append({ workspace: agent.workspace, actor: principalKey(actor), actorName: actor.name, action, target: [agent.id] });
  }

  private async activeAhead(agent: Agent, settings: Settings): Promise<number> {
    const active = await this.deps.agents.activeCounts(agent.workspace, agent.owner);
    const overWorkspace = Math.max(0, active.workspace - settings.maxConcurrentPerWorkspace + 1);
    const overPerson = Math.max(0, active.owner - settings.maxConcurrentPerPerson + 1);
    return Math.max(overWorkspace, overPerson);
  }
}

/** The repositories a request names (`repos`, or `repo` as a list of one), capped; null when none. Duplicates are refused at launch. */
function requestedRepos(options: LaunchOptions): string[] | null {
  const list = options.repos ?? (options.repo ? [options.repo] : null);
  if (!list) return null;
  const named = list.map((repo) => repo.trim()).filter(Boolean);
  if (named.length === 0) throw new ErrandError('invalid_request', 'name at least one repository');
  if (named.length > maxRepos) throw new ErrandError('invalid_request', `at most ${maxRepos} repositories in one agent (${named.length} given)`);
  return named;
}

function channelRepo(conversation: Conversation, settings: Settings): string | undefined {
  return conversation.kind === 'slack' ? settings.channelRepos[conversation.channelId] : undefined;
}
