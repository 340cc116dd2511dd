import { ErrandError } from './errors.js';

export const agentStatuses = ['queued', 'preparing', 'running', 'finished', 'failed', 'stopped', 'expired'] as const;
export type AgentStatus = (typeof agentStatuses)[number];

/**
 * The only legal moves. A finished, failed or stopped agent goes back to `queued` when a
 * follow-up resumes it; every state but `expired` may expire once retention passes.
 */
const transitions: Record<AgentStatus, readonly AgentStatus[]> = {
  queued: ['preparing', 'failed', 'stopped', 'expired'],
  preparing: ['running', 'failed', 'stopped', 'queued', 'expired'],
  running: ['finished', 'failed', 'stopped', 'queued', 'expired'],
  finished: ['queued', 'expired'],
  failed: ['queued', 'expired'],
  stopped: ['queued', 'expired'],
  expired: [],
};

export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: AgentStatus, to: AgentStatus): void {
  if (!canTransition(from, to)) {
    throw new ErrandError('invalid_transition', `an agent cannot go from ${from} to ${to}`);
  }
}

/** The agent is doing or about to do work. */
export function isActive(status: AgentStatus): boolean {
  return status === 'queued' || status === 'preparing' || status === 'running';
}

/** The run is over; a follow-up would resume it (except once expired). */
export function isSettled(status: AgentStatus): boolean {
  return status === 'finished' || status === 'failed' || status === 'stopped';
}
