import { describe, expect, it } from '@jest/globals';
import type { ToolOutputEvent } from '../../src/core/index.js';
import { OutputStream } from '../../src/engine/loop/output-stream.js';
import { waitFor } from '../support/wait.js';

function collect(limits: Partial<ConstructorParameters<typeof OutputStream>[2]> = {}, now = () => 0) {
  const events: ToolOutputEvent[] = [];
  const stream = new OutputStream('c1', (e) => events.push(e), { intervalMs: 5, bytesPerSecond: 1_000_000, maxBytes: 1_000_000, maxLineBytes: 8_192, ...limits }, now);
  return { events, stream, text: () => events.map((e) => e.text).join('') };
}

describe("a command's live output", () => {
  it('sends whole lines only while the command runs, and the rest when it ends', async () => {
    const { events, stream, text } = collect();
    stream.push('stdout', 'first\nsecret=abc');
    await waitFor(() => events.length === 1, { what: 'the first line' });
    expect(text()).toBe('first\n');
    stream.push('stdout', 'def\nlast');
    await waitFor(() => events.length === 2, { what: 'the second line' });
    expect(events[1]?.text).toBe('secret=abcdef\n');
    stream.end();
    expect(text()).toBe('first\nsecret=abcdef\nlast');
  });

  it('holds an unfinished PEM block until its END line', async () => {
    const { events, stream } = collect();
    stream.push('stdout', 'before\n-----BEGIN PRIVATE KEY-----\nMIIE\n');
    await waitFor(() => events.length === 1, { what: 'the line before the key' });
    expect(events[0]?.text).toBe('before\n');
    stream.push('stdout', 'abcd\n-----END PRIVATE KEY-----\n');
    await waitFor(() => events.length === 2, { what: 'the whole key block' });
    expect(events[1]?.text).toBe('-----BEGIN PRIVATE KEY-----\nMIIE\nabcd\n-----END PRIVATE KEY-----\n');
  });

  it('skips what passes the per-second cap and stops at the per-command cap, with a note each', () => {
    const burst = collect({ bytesPerSecond: 10 });
    burst.stream.push('stdout', 'a'.repeat(50) + '\n');
    burst.stream.end();
    expect(burst.text()).toBe('[errand: 51 bytes of output not shown live; the step\'s result keeps its start and end]\n');

    let t = 0;
    const capped = collect({ maxBytes: 20, bytesPerSecond: 1000 }, () => (t += 2000));
    capped.stream.push('stdout', 'x'.repeat(9) + '\n');
    capped.stream.end();
    capped.stream.push('stdout', 'y'.repeat(19) + '\n');
    capped.stream.end();
    capped.stream.push('stdout', 'z\n');
    capped.stream.end();
    expect(capped.text()).toBe(`${'x'.repeat(9)}\n[errand: live output stops here after 10 bytes; the step's result keeps its start and end]\n`);
  });
});

describe('a long command', () => {
  it('sends its output less often as it goes on, so it cannot crowd the event log', async () => {
    const events: ToolOutputEvent[] = [];
    const stream = new OutputStream('c1', (e) => events.push(e), { intervalMs: 1, maxIntervalMs: 4, eventsPerStep: 2, bytesPerSecond: 1_000_000, maxBytes: 1_000_000, maxLineBytes: 8_192 });
    const intervals: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      intervals.push((stream as unknown as { interval(): number }).interval());
      stream.push('stdout', `line ${i}\n`);
      await waitFor(() => events.length === i + 1, { what: `line ${i}` });
    }
    stream.end();
    expect(intervals).toEqual([1, 1, 2, 2, 4, 4, 4, 4]);
    expect(events.map((e) => e.text).join('')).toBe(Array.from({ length: 8 }, (_, i) => `line ${i}\n`).join(''));
  });
});
