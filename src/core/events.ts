import type { Principal } from './principal.js';
import type { AgentStatus } from './status.js';

/** What happened in an agent's life, in order. Stored in the agent's event log. */
export type AgentEvent =
  | { type: 'status'; status: AgentStatus; message?: string }
  | { type: 'log'; phase: LogPhase; stream: 'stdout' | 'stderr' | 'system'; text: string }
  | { type: 'milestone'; name: MilestoneName; text: string; data?: Record<string, string | number | boolean> }
  | { type: 'model_message'; text: string }
  /** The model's reasoning before its message or tool calls, when the provider returns it (bounded, scrubbed). */
  | { type: 'thinking'; text: string }
  | { type: 'tool_call'; callId: string; name: string; args: string }
  | ToolOutputEvent
  | ToolResultEvent
  | { type: 'follow_up'; author: Principal; text: string; source: string }
  | { type: 'summary'; text: string; branch: string; prUrl: string | null; diffstat: string | null }
  | { type: 'error'; code: string; message: string }
  | EgressEvent;

/**
 * Output of a tool step while it runs (the `run` command's stdout and stderr), batched a few times
 * a second, capped per second and per command, cut at line ends so a secret is scrubbed whole.
 */
export interface ToolOutputEvent {
  type: 'tool_output';
  callId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * A tool step's outcome. `ok` is false for a failed step: a tool error, or a command that exited
 * non-zero, timed out or was killed (then `exitCode` says how, and `timedOut` when it ran out of time).
 */
export interface ToolResultEvent {
  type: 'tool_result';
  callId: string;
  name: string;
  ok: boolean;
  output: string;
  /** A command's exit code (137 when it was killed); absent for tools that run no command. */
  exitCode?: number;
  timedOut?: boolean;
  /** How long the step took. */
  durationMs?: number;
}

/**
 * One connection through the egress proxy, appended when it closes (a denial at once). Shown by
 * the dashboard and counted in the summary; never posted one by one to Slack or GitHub.
 */
export interface EgressEvent {
  type: 'egress';
  host: string;
  port: number;
  allowed: boolean;
  /** Why: `full`, `allowlist`, `allowed_private`, or the denial (`policy_none`, `not_in_allowlist`, `private_address`, …). */
  reason: string;
  phase: 'install' | 'agent';
  bytesUp: number;
  bytesDown: number;
}

export type LogPhase = 'environment' | 'build' | 'install' | 'start' | 'terminal' | 'git' | 'agent';

export type MilestoneName =
  | 'environment_ready'
  | 'install_cached'
  | 'pushed'
  | 'pr_opened'
  | 'pr_updated'
  | 'resumed'
  | 'stop_requested'
  | 'mode_changed'
  | 'artifacts_collected';

export type AgentEventType = AgentEvent['type'];

/** An event as read back from the log: its position (resumable cursor) and time. */
export type StoredEvent = AgentEvent & { id: string; at: string };
