import { describe, expect, it } from '@jest/globals';
import { currentStep, stepOutcome, type AgentEvent, type StoredEvent } from '../../src/core/index.js';
import { renderEvent } from '../../src/cli/render.js';
import { stepsOf } from '../../src/frontends/http/api/present.js';
import { Scrubber } from '../../src/redact/scrubber.js';

let n = 0;
const stored = (event: AgentEvent): StoredEvent => ({ ...event, id: `1700000000000-${(n += 1)}`, at: '2026-01-01T00:00:00.000Z' });

describe('the step in flight and its outcome', () => {
  it('names the command while it runs, and nothing once it has its result or the status changed', () => {
    const call = stored({ type: 'tool_call', callId: 'a', name: 'run', args: JSON.stringify({ command: 'npm   test\n -- --watch=false' }) });
    expect(currentStep([call])).toEqual({ verb: 'running', detail: 'npm test -- --watch=false' });
    expect(currentStep([call, stored({ type: 'tool_output', callId: 'a', stream: 'stdout', text: 'x\n' })])).toEqual({ verb: 'running', detail: 'npm test -- --watch=false' });
    expect(currentStep([call, stored({ type: 'tool_result', callId: 'a', name: 'run', ok: true, output: '' })])).toBeNull();
    expect(currentStep([call, stored({ type: 'status', status: 'stopped' })])).toBeNull();
    expect(currentStep([stored({ type: 'tool_call', callId: 'b', name: 'edit_file', args: '{"path":"src/a.ts"}' })])).toEqual({ verb: 'editing', detail: 'src/a.ts' });
    expect(currentStep([stored({ type: 'tool_call', callId: 'c', name: 'finish', args: 'not json' })])).toEqual({ verb: 'finishing', detail: null });
  });

  it('says failed with the exit code for a command that exited 127 or timed out, ok otherwise', () => {
    expect(stepOutcome({ ok: false, exitCode: 127, durationMs: 40 })).toBe('failed · exit 127 · 40 ms');
    expect(stepOutcome({ ok: false, exitCode: 137, timedOut: true, durationMs: 30_000 })).toBe('timed out · exit 137 · 30.0 s');
    expect(stepOutcome({ ok: true, exitCode: 0, durationMs: 1234 })).toBe('ok · 1.2 s');
    expect(stepOutcome({ ok: true })).toBe('ok');
  });

  it('marks a failed command failed in the CLI and in the API conversation', () => {
    const call = stored({ type: 'tool_call', callId: 'a', name: 'run', args: '{"command":"pnpm test"}' });
    const result = stored({ type: 'tool_result', callId: 'a', name: 'run', ok: false, output: 'exit code 127\nbash: pnpm: command not found', exitCode: 127, durationMs: 40 });
    const cli = renderEvent({ event: 'tool_result', id: result.id, data: result as unknown as Record<string, unknown> }, false);
    expect(cli).toBe('  ✗ run failed · exit 127 · 40 ms: exit code 127 bash: pnpm: command not found');
    expect(renderEvent({ event: 'tool_output', id: 'x', data: { callId: 'a', stream: 'stdout', text: 'one\ntwo\n' } }, true)).toBe('  │ one\n  │ two');
    expect(renderEvent({ event: 'tool_output', id: 'x', data: { callId: 'a', stream: 'stdout', text: 'one\n' } }, false)).toBeNull();
    const running = stored({ type: 'tool_call', callId: 'b', name: 'run', args: '{"command":"sleep 5"}' });
    expect(stepsOf([call, result, running], new Scrubber())).toEqual([
      expect.objectContaining({ callId: 'a', status: 'failed', exitCode: 127, durationMs: 40, timedOut: false }),
      expect.objectContaining({ callId: 'b', status: 'running', exitCode: null, durationMs: null }),
    ]);
  });
});
