import type { Agent, AgentService, Log } from '../core/index.js';
import type { Scrubber } from '../redact/scrubber.js';
import { presentAgent } from './http/api/present.js';
import { LaunchBody } from './http/api/schemas.js';

/** Thrown by the warm-up's openConversation: the launch stops there, before anything is stored. */
class WarmUpDone extends Error {}

export interface WarmUpDeps {
  agents: AgentService;
  /** Warms BullMQ's add path (warmQueuePath on the server's Redis). */
  warmQueue: () => Promise<void>;
  scrubber: Scrubber;
  log: Log;
}

/**
 * Runs the launch path a few hundred times before the server takes requests, storing nothing:
 * the API's body schema, the core's launch checks (settings read from Redis, parsing, policy,
 * branch name) up to the point where a front end would open the conversation, the API's answer
 * shape, and BullMQ's add on a queue of its own. Without it the first launches after a start run
 * in cold code with cold connections (measured: the first answer 380 ms, the next 20 about 20 ms
 * each, then 6 ms), and at 100 launches/s a backlog builds in the first seconds that takes long
 * to drain.
 */
export async function warmLaunchPath(deps: WarmUpDeps, rounds = 200): Promise<void> {
  const started = performance.now();
  const principal = { kind: 'api' as const, workspace: 'errand-warm-up', id: 'warm-up', name: 'warm-up' };
  let seen: Agent | null = null;
  for (let i = 0; i < rounds; i++) {
    const body = LaunchBody.parse({ prompt: { text: `warm up the launch path ${i}` }, source: { repository: 'acme/warm-up', ref: 'main' }, target: { autoCreatePr: false } });
    try {
      await deps.agents.launch({
        principal, workspace: principal.workspace, conversation: { kind: 'api' }, prompt: body.prompt.text,
        options: { repo: body.source!.repository!, branch: body.source!.ref!, autopr: false },
        openConversation: async (agent) => {
          seen = agent;
          throw new WarmUpDone();
        },
      });
    } catch (error) {
      // A refusal (no model configured, a repository host not served here) warms most of it too.
      if (!(error instanceof WarmUpDone) && i === 0) deps.log.debug({ err: error }, 'warm-up launch refused; warming what comes before the refusal');
    }
    if (seen) presentAgent(seen, 'http://127.0.0.1', deps.scrubber);
  }
  await deps.warmQueue();
  deps.log.debug({ ms: Math.round(performance.now() - started), rounds }, 'launch path warmed up');
}

/**
 * A few requests to the server itself once it listens: the router, the request log's path and the
 * health check. Nothing that needs a key: a credential made at start would outlive a crash before
 * its revocation, and a refused launch would put a warning in the log at every start.
 */
export async function warmHttp(baseUrl: string, log: Log, rounds = 5): Promise<void> {
  try {
    for (let i = 0; i < rounds; i++) await (await fetch(`${baseUrl}/healthz`)).arrayBuffer();
  } catch (error) {
    log.debug({ err: error }, 'http warm-up failed; the first requests run cold');
  }
}
