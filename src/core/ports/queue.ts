/**
 * Jobs carry ids, not state: the worker re-reads the agent from the store. `salvage` pushes the
 * work of an agent that was stopped after its worker died (see AgentService.stop).
 */
export type RunJobKind = 'run' | 'resume' | 'salvage';

export interface RunQueue {
  /** Enqueues the agent's run; enqueuing the same agent twice while one is waiting runs it once. */
  enqueue(kind: RunJobKind, agentId: string): Promise<void>;
  /** Removes a job that has not started yet; true if one was removed. */
  cancel(agentId: string): Promise<boolean>;
  /** How many runs wait ahead of a new one. */
  waiting(): Promise<number>;
  /** Agents with a job waiting, delayed or being run. */
  pendingAgents(): Promise<Set<string>>;
}

/** Tells whichever worker runs an agent to stop it, across processes. */
export interface StopSignals {
  requestStop(agentId: string): Promise<void>;
  /** Calls `onStop` for every stop request; returns an unsubscribe function. */
  onStop(onStop: (agentId: string) => void): Promise<() => Promise<void>>;
}
