import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/** How a run ended, fixed when the next run starts (the latest run's state is the agent's). */
export const RunOutcome = z.object({
  status: z.enum(['FINISHED', 'ERROR', 'CANCELLED', 'EXPIRED']),
  finishedAt: z.string().nullable(),
  result: z.string().nullable(),
  prUrl: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type RunOutcome = z.infer<typeof RunOutcome>;

/**
 * One run of an agent (API v1): its launch, or one follow-up that resumed it. Its events are the
 * agent's events after `afterEventId` (from the start when null) up to the next run's boundary.
 */
export const AgentRun = z.looseObject({
  id: z.string(),
  agentId: z.string(),
  prompt: z.string(),
  createdAt: z.string(),
  afterEventId: z.string().nullable(),
  outcome: RunOutcome.nullable(),
});
export type AgentRun = z.infer<typeof AgentRun>;

/**
 * The runs and archive flag of agents as API v1 shows them. Both keys live exactly as long as the
 * agent's record (`errandFollowAgent`) and go with `forget` (Keys.agentScoped).
 */
export class RedisAgentRuns {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly fallbackMs: number,
  ) {}

  /** The id of the agent's newest event: a follow-up's run starts after it. */
  async newestEventId(agentId: string): Promise<string | null> {
    const newest = await this.redis.xrevrange(this.keys.events(agentId), '+', '-', 'COUNT', 1);
    return newest[0]?.[0] ?? null;
  }

  /**
   * Records a run whose events come after `afterEventId` (from the start when null). The previous
   * run, if any, is closed with `previousOutcome`.
   */
  async start(agentId: string, input: { prompt: string; at: string; afterEventId: string | null; previousOutcome?: RunOutcome; newId?: string }): Promise<AgentRun> {
    const key = this.keys.agentRuns(agentId);
    const afterEventId = input.afterEventId;
    const run: AgentRun = { id: input.newId ?? `run-${randomUUID()}`, agentId, prompt: input.prompt, createdAt: input.at, afterEventId, outcome: null };
    const runs = await this.list(agentId);
    const previous = runs.at(-1);
    const tx = multi(this.redis);
    if (previous && !previous.outcome && input.previousOutcome) tx.lset(key, runs.length - 1, JSON.stringify({ ...previous, outcome: input.previousOutcome }));
    tx.rpush(key, JSON.stringify(run));
    tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), key], this.fallbackMs));
    await tx.exec();
    return run;
  }

  /** Every run of the agent, oldest first (a run recorded twice by racing requests counts once). */
  async list(agentId: string): Promise<AgentRun[]> {
    const raw = await this.redis.lrange(this.keys.agentRuns(agentId), 0, -1);
    const seen = new Set<string>();
    return raw.map((text) => AgentRun.parse(JSON.parse(text))).filter((run) => !seen.has(run.id) && seen.add(run.id));
  }

  /**
   * The agent's runs, recording its launch as run 1 (`run-1-<agent id>`, the same id from any
   * process) when it has none: an agent launched from Slack, GitHub or v0 seen through v1.
   */
  async ensure(agentId: string, launch: { prompt: string; at: string }): Promise<AgentRun[]> {
    const runs = await this.list(agentId);
    if (runs.length > 0) return runs;
    return [await this.start(agentId, { ...launch, afterEventId: null, newId: `run-1-${agentId}` })];
  }

  async archive(agentId: string, at: string): Promise<void> {
    const key = this.keys.agentArchived(agentId);
    const tx = multi(this.redis);
    tx.set(key, at);
    await tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), key], this.fallbackMs)).exec();
  }

  async unarchive(agentId: string): Promise<void> {
    await this.redis.del(this.keys.agentArchived(agentId));
  }

  /** When the agent was archived, or null. */
  async archivedAt(agentId: string): Promise<string | null> {
    return this.redis.get(this.keys.agentArchived(agentId));
  }

  /** Archive times of several agents at once (null where not archived). */
  async archivedAtMany(agentIds: string[]): Promise<(string | null)[]> {
    if (agentIds.length === 0) return [];
    return this.redis.mget(...agentIds.map((id) => this.keys.agentArchived(id)));
  }
}

/** The fallback lifetime of run keys written before the agent's record exists (retention + grace). */
export function agentRunsFallbackMs(retentionDays: number): number {
  return (retentionDays * 86_400 + expiryGraceSeconds) * 1000;
}
