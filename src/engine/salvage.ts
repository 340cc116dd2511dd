import { toErrandError } from '../core/index.js';
import type { JobContext } from '../queue/run-worker.js';
import { AgentRun, type EngineDeps } from './agent-run.js';
import { withPullRequests } from './extra-delivery.js';

/**
 * Pushes the work of an agent that was stopped while no worker ran it (its worker died, see
 * AgentService.stop), or that failed because nobody could take it over (OrphanSweeper). The agent
 * is already settled; this finds its container on this worker's
 * Docker engine, commits what is in it as WIP and pushes, or says why it could not.
 */
export async function salvageStopped(deps: EngineDeps, agentId: string, context: JobContext): Promise<void> {
  const { log } = context;
  const agent = await deps.agents.get(agentId);
  if (!agent || (agent.status !== 'stopped' && agent.status !== 'failed')) {
    log.info({ agentId, status: agent?.status }, 'agent is not stopped or failed; nothing to salvage');
    return;
  }
  const run = new AgentRun(deps, agent, true, context.signal, log);
  try {
    await run.checkout();
    if (!(await run.attach())) {
      await run.emit({ type: 'error', code: 'sandbox_failed', message: 'the work so far could not be pushed: the container of the stopped worker is gone' });
      return;
    }
    const summary = agent.summary ?? 'Stopped on request after its worker stopped.';
    const delivery = await run.deliver(summary, { openPr: false, note: 'WIP' });
    const text = delivery.pushed ? `${summary} The work so far is pushed to \`${agent.branch}\`${delivery.sha ? ` at commit ${delivery.sha.slice(0, 12)}` : ''}.` : `${summary} Nothing was pushed: there was no new work.`;
    if (agent.privacy) await run.forgetTranscript();
    await run.emit({ type: 'summary', text, branch: agent.branch, prUrl: delivery.pr?.url ?? agent.prUrl, diffstat: agent.privacy ? null : delivery.diffstat });
    await deps.store.update(agentId, (current) => ({
      ...current,
      summary: deps.scrubber.scrub(text),
      prUrl: delivery.pr?.url ?? current.prUrl,
      prNumber: delivery.pr?.number ?? current.prNumber,
      ...(current.extraRepos?.length ? { extraRepos: withPullRequests(current, delivery.extras) ?? current.extraRepos } : {}),
    }));
  } catch (error) {
    const failure = toErrandError(error);
    log.warn({ agentId, code: failure.code, err: failure }, 'could not salvage the work of a stopped agent');
    await run.emit({ type: 'error', code: failure.code, message: `could not push the work so far: ${deps.scrubber.scrub(failure.message)}` });
  } finally {
    await run.cleanUp();
  }
}
