import { PermanentFailure, isErrandError, toErrandError, type Agent, type AgentStatus, type ErrorCode, type RunJobKind } from '../core/index.js';
import { abortKind, type JobContext, type JobHandler } from '../queue/run-worker.js';
import { AgentRun, type Delivery, type EngineDeps } from './agent-run.js';
import { defaultLeaseMs, HeldRunLease } from './run-lease.js';
import { withPullRequests } from './extra-delivery.js';
import { repositoriesSection } from './run-text.js';
import { salvageStopped } from './salvage.js';

/** Errors that another attempt cannot fix: the agent fails and the job is not retried. */
const badInput = new Set<ErrorCode>(['invalid_request', 'not_configured', 'environment_invalid', 'forbidden', 'not_found', 'secret_unreadable', 'empty_prompt']);

/** The worker's handler for `run` and `resume` jobs. */
export function createRunHandler(deps: EngineDeps): JobHandler {
  return (name, payload, context) => (name === 'salvage' ? salvageStopped(deps, payload.agentId, context) : runAgentJob(deps, name, payload.agentId, context));
}

/**
 * Runs one agent to a settled status. A stop pushes what is there and ends `stopped`; a worker
 * shutdown or an unreachable Docker puts the agent back to `queued` and throws so the queue retries;
 * bad input fails the agent and the job for good; any other error fails the agent after pushing
 * what is there.
 */
export async function runAgentJob(deps: EngineDeps, kind: RunJobKind, agentId: string, context: JobContext): Promise<void> {
  const claimed = await claim(deps, kind, agentId, context);
  if (!claimed) return;
  const { agent, lease, continuing } = claimed;
  const run = new AgentRun(deps, agent, continuing, context.signal, context.log);
  try {
    await deps.warmRuns?.begin(agentId);
    await run.prepare();
    run.agent = await deps.agents.transition(agentId, 'running');
    const { outcome } = await run.think();
    if (outcome.kind === 'finished') {
      await conclude(deps, run, 'finished', outcome.summary, { openPr: true });
    } else if (outcome.kind === 'limit_reached') {
      const summary = `The agent stopped before finishing: it ${outcome.message}. Follow up to let it continue.`;
      await conclude(deps, run, 'failed', summary, { openPr: true, note: 'WIP', error: { code: 'limit_reached', message: `the agent ${outcome.message}` } });
    } else {
      throw context.signal.reason;
    }
  } catch (error) {
    await onFailure(deps, run, error, context);
  } finally {
    await run.cleanUp();
    deps.warmRuns?.end(agentId);
    await lease.release();
  }
}

interface Claimed {
  agent: Agent;
  lease: HeldRunLease;
  /** A resume, a retry, or a takeover from a worker that died: the container and conversation carry on. */
  continuing: boolean;
}

/**
 * Takes the agent's run lease and moves it from `queued` to `preparing`; null when there is
 * nothing to run. An agent found `preparing` or `running` belongs to a worker that died (BullMQ
 * hands out a stalled job again without counting an attempt): once that worker's lease has lapsed,
 * this worker takes it over. While a live worker holds the lease, the job is a duplicate.
 */
async function claim(deps: EngineDeps, kind: RunJobKind, agentId: string, context: JobContext): Promise<Claimed | null> {
  const { log } = context;
  const first = await deps.agents.get(agentId);
  if (!first) {
    log.warn({ agentId }, 'agent to run no longer exists');
    return null;
  }
  if (first.status !== 'queued' && first.status !== 'preparing' && first.status !== 'running') {
    log.info({ agentId, status: first.status }, 'agent is not queued; nothing to run');
    return null;
  }
  const lease = await HeldRunLease.take(deps.runLeases, agentId, deps.settings.leaseMs ?? defaultLeaseMs, log, context.signal);
  if (!lease) {
    log.info({ agentId, status: first.status }, 'a live worker runs this agent; nothing to do');
    return null;
  }
  try {
    const agent = await deps.agents.require(agentId);
    let takeover = false;
    if ((agent.status === 'preparing' || agent.status === 'running') && (await stopWasRequested(deps, agentId))) {
      // Someone pressed Stop while the dead worker's lease still looked alive: honour it now.
      log.warn({ agentId, status: agent.status }, 'stopping an agent whose worker stopped before it could');
      await deps.agents.transition(agentId, 'stopped', { message: 'stopped on request; its worker had stopped', patch: { summary: 'Stopped on request after its worker stopped.' } });
      await lease.release();
      await salvageStopped(deps, agentId, context);
      return null;
    }
    if (agent.status === 'preparing' || agent.status === 'running') {
      log.warn({ agentId, status: agent.status }, 'taking over an agent whose worker stopped');
      await deps.agents.transition(agentId, 'queued', { message: 'the worker running it stopped; resuming on another worker' });
      takeover = true;
    } else if (agent.status !== 'queued') {
      log.info({ agentId, status: agent.status }, 'agent is not queued; nothing to run');
      await lease.release();
      return null;
    }
    const claimed = await deps.agents.transition(agentId, 'preparing', kind === 'resume' ? { message: 'resuming' } : {});
    return { agent: claimed, lease, continuing: kind === 'resume' || context.attempt > 1 || takeover };
  } catch (error) {
    await lease.release();
    // Stopped (or expired) between the queue handing the job out and now.
    if (isErrandError(error, 'invalid_transition')) return null;
    throw error;
  }
}

/** A stop was asked for after the agent's last status change (and nobody acted on it). */
async function stopWasRequested(deps: EngineDeps, agentId: string): Promise<boolean> {
  const events = await deps.events.read(agentId);
  const lastStop = events.findLastIndex((event) => event.type === 'milestone' && event.name === 'stop_requested');
  const lastStatus = events.findLastIndex((event) => event.type === 'status');
  return lastStop > lastStatus;
}

async function onFailure(deps: EngineDeps, run: AgentRun, error: unknown, context: JobContext): Promise<void> {
  const aborted = abortKind(context.signal);
  if (aborted === 'shutdown') {
    await requeue(deps, run, 'the worker shut down; the run will be retried');
    throw toErrandError(error, 'aborted');
  }
  if (aborted === 'stopped') {
    await conclude(deps, run, 'stopped', 'Stopped on request before finishing.', { openPr: false, bestEffort: true });
    return;
  }
  const failure = toErrandError(error);
  const message = deps.scrubber.scrub(failure.message);
  if (failure.code === 'unavailable' && context.attempt < context.maxAttempts) {
    await requeue(deps, run, `${message}; retrying (attempt ${context.attempt + 1} of ${context.maxAttempts})`);
    throw failure;
  }
  context.log.warn({ agentId: run.agent.id, code: failure.code, err: failure }, 'agent run failed');
  await conclude(deps, run, 'failed', `The agent failed: ${message}`, { openPr: false, bestEffort: true, error: { code: failure.code, message } });
  if (badInput.has(failure.code)) throw new PermanentFailure(failure.code, `${failure.code}: ${message}`, { cause: failure });
}

interface Conclusion {
  openPr: boolean;
  /** Prefix of the commit title (`WIP`). */
  note?: string;
  /** The run already failed: a push that fails too is reported, not thrown. */
  bestEffort?: boolean;
  error?: { code: string; message: string };
}

/** Pushes what is there, posts the summary and settles the agent. */
async function conclude(deps: EngineDeps, run: AgentRun, status: Extract<AgentStatus, 'finished' | 'failed' | 'stopped'>, result: string, options: Conclusion): Promise<void> {
  const agent = run.agent;
  const blocked = run.blockedNote();
  const summary = blocked ? `${result}\n\n${blocked}` : result;
  let delivery: Delivery = { pushed: false, sha: null, diffstat: null, pr: null };
  let pushFailed = false;
  if (agent.mode === 'plan') {
    await run.undoPlanChanges().catch((error: unknown) => run.emit({ type: 'error', code: toErrandError(error).code, message: `could not undo the plan run's changes: ${toErrandError(error).message}` }));
    await run.undoPlanChangesInExtras().catch((error: unknown) => run.emit({ type: 'error', code: toErrandError(error).code, message: `could not undo the plan run's changes: ${toErrandError(error).message}` }));
  }
  const artifacts = await run.collectArtifacts();
  try {
    delivery = await run.deliver(summary, { openPr: options.openPr, ...(options.note ? { note: options.note } : status === 'stopped' ? { note: 'WIP' } : {}) });
  } catch (error) {
    if (!options.bestEffort) throw error;
    const failure = toErrandError(error);
    pushFailed = true;
    await run.emit({ type: 'error', code: failure.code, message: `could not push the work so far: ${failure.message}` });
  }
  const said = status === 'finished' ? summary : `${summary} ${pushNote(agent, delivery, pushFailed)}`;
  const extraRepos = withPullRequests(run.agent, delivery.extras);
  const repositories = repositoriesSection(run.agent, { pushed: delivery.pushed, prUrl: delivery.pr?.url ?? agent.prUrl }, (extraRepos ?? []).map((extra) => ({ extra, outcome: { pushed: delivery.extras?.find((d) => d.extra.path === extra.path)?.pushed ?? false, prUrl: extra.prUrl } })));
  const text = [said, repositories, artifacts].filter((part): part is string => Boolean(part)).join('\n\n');
  if (agent.privacy) await run.forgetTranscript();
  if (options.error) await run.emit({ type: 'error', code: options.error.code, message: options.error.message });
  if (status !== 'failed' || delivery.pushed || delivery.extras?.some((extra) => extra.pushed)) {
    // Privacy mode keeps no paths or diffs past the run: the summary carries links only.
    await run.emit({ type: 'summary', text, branch: agent.branch, prUrl: delivery.pr?.url ?? agent.prUrl, diffstat: agent.privacy ? null : delivery.diffstat });
  }
  await run.park();
  const prUrl = delivery.pr?.url ?? agent.prUrl;
  const prNumber = delivery.pr?.number ?? agent.prNumber;
  try {
    await deps.agents.transition(agent.id, status, {
      patch: { summary: deps.scrubber.scrub(text), prUrl, prNumber, ...(extraRepos ? { extraRepos } : {}), ...(options.error ? { error: options.error } : { error: null }) },
    });
  } catch (error) {
    if (!isErrandError(error, 'invalid_transition')) throw error;
  }
}

/** What a stopped or failed agent left on its branch: the branch and commit, or that nothing was pushed and why. */
function pushNote(agent: Agent, delivery: Delivery, pushFailed: boolean): string {
  if (delivery.pushed) return `The work so far is pushed to \`${agent.branch}\`${delivery.sha ? ` at commit ${delivery.sha.slice(0, 12)}` : ''}.`;
  if (delivery.extras?.some((extra) => extra.pushed)) return `The work so far is pushed to \`${agent.branch}\` in the repositories listed below.`;
  if (pushFailed) return 'Nothing was pushed: the push failed.';
  if (agent.status === 'preparing' || agent.status === 'queued') return 'Nothing was pushed.';
  if (agent.mode === 'ask' || !agent.repo) return 'Nothing was pushed (no repository changes in this mode).';
  return 'Nothing was pushed: there were no changes.';
}

async function requeue(deps: EngineDeps, run: AgentRun, message: string): Promise<void> {
  try {
    await deps.agents.transition(run.agent.id, 'queued', { message });
  } catch (error) {
    if (!isErrandError(error, 'invalid_transition')) throw error;
  }
}
