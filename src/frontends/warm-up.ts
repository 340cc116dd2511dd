import { AgentService, type Agent, type Clock, type Log } from '../core/index.js';
import { BullRunQueue } from '../queue/run-queue.js';
import type { RedisClient } from '../redis/connect.js';
import type { Scrubber } from '../redact/scrubber.js';
import { createRedisStores } from '../store/redis/index.js';
import { RedisScratchSpaces } from '../store/redis/scratch-space.js';
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

export interface ScratchWarmUpDeps {
  redis: RedisClient;
  /** The instance's key prefix, `<instance>:`: the scratch space is made under it. */
  instancePrefix: string;
  clock: Clock;
  scrubber: Scrubber;
  log: Log;
}

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

/**
 * What `warmLaunchPath` cannot reach without storing: whole launches (the store's script, the
 * event append, the run's enqueue, the audit entry, the answer's shape), run against stores and a
 * run queue of their own in a scratch space of Redis keys (`<instance>:scratch-<uuid>:`) that
 * nothing else reads, then deleted with every scratch key (also those of a process that died
 * here). The code and Redis's script cache are the ones the real launches then use. Resolves to
 * the number of launches that went through.
 */
export async function warmStoredLaunches(deps: ScratchWarmUpDeps, rounds = 150): Promise<number> {
  const started = performance.now();
  const scratch = new RedisScratchSpaces(deps.redis, deps.instancePrefix);
  const stores = createRedisStores(deps.redis, { prefix: scratch.open(), clock: deps.clock, retentionDays: 1 });
  const queue = new BullRunQueue(deps.redis, undefined, stores.keys.queuePrefix());
  const agents = new AgentService({ ...stores, queue, clock: deps.clock, log: quiet, defaultModel: 'openai:warm-up' });
  const principal = { kind: 'api' as const, workspace: 'errand-warm-up', id: 'warm-up', name: 'warm-up' };
  let launched = 0;
  try {
    for (let i = 0; i < rounds; i++) {
      const body = LaunchBody.parse({ prompt: { text: `warm up the launch path ${i}` }, source: { repository: 'https://git.example.invalid/warm-up.git', ref: 'main' }, target: { autoCreatePr: false } });
      try {
        const { agent } = await agents.launch({
          principal, workspace: principal.workspace, conversation: { kind: 'api' }, prompt: body.prompt.text,
          options: { repo: body.source!.repository!, branch: body.source!.ref!, autopr: false }, platformAdmin: true,
        });
        presentAgent(agent, 'http://127.0.0.1', deps.scrubber);
        launched++;
      } catch (error) {
        if (i === 0) deps.log.debug({ err: error }, 'scratch warm-up launch refused');
      }
    }
  } finally {
    await queue.close();
    await scratch.drop().catch((error: unknown) => deps.log.warn({ err: error }, 'could not delete the warm-up\'s scratch keys; they are deleted at the next start'));
  }
  deps.log.debug({ ms: Math.round(performance.now() - started), launched }, 'stored launch path warmed up in a scratch space');
  return launched;
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
