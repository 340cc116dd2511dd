import type { StoredEvent, ToolResultEvent } from './events.js';

/** What the agent is doing now, for status messages: "running" and the command, say. */
export interface CurrentStep {
  verb: string;
  /** The command, path or pattern, cut to one short line; null when the tool has none. */
  detail: string | null;
}

const verbs: Record<string, string> = {
  run: 'running',
  read_file: 'reading',
  write_file: 'writing',
  edit_file: 'editing',
  list_files: 'listing',
  search: 'searching for',
  terminal_output: 'reading terminal',
  finish: 'finishing',
};

const detailFields = ['command', 'path', 'pattern', 'name'];

/** The tool call in flight (no result yet) after the last status change, or null. */
export function currentStep(events: readonly StoredEvent[]): CurrentStep | null {
  const answered = new Set<string>();
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'status') return null;
    if (event.type === 'tool_result') answered.add(event.callId);
    if (event.type === 'tool_call') {
      if (answered.has(event.callId)) return null;
      return { verb: verbs[event.name] ?? event.name, detail: stepDetail(event.args) };
    }
  }
  return null;
}

function stepDetail(args: string): string | null {
  try {
    const parsed = JSON.parse(args) as Record<string, unknown>;
    for (const field of detailFields) {
      const value = parsed[field];
      if (typeof value === 'string' && value.trim()) {
        const flat = value.replace(/\s+/g, ' ').trim();
        return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
      }
    }
  } catch {
    // Arguments that are not JSON name nothing.
  }
  return null;
}

/** "failed · exit 127 · 1.2 s", "ok · 40 ms", "timed out · exit 137 · 30 s": a step's outcome in words. */
export function stepOutcome(result: Pick<ToolResultEvent, 'ok' | 'exitCode' | 'timedOut' | 'durationMs'>): string {
  const parts = [result.timedOut ? 'timed out' : result.ok ? 'ok' : 'failed'];
  if (result.exitCode !== undefined && (result.exitCode !== 0 || !result.ok)) parts.push(`exit ${result.exitCode}`);
  if (result.durationMs !== undefined) parts.push(durationText(result.durationMs));
  return parts.join(' · ');
}

export function durationText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
