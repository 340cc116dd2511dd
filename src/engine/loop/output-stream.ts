import type { ToolOutputEvent } from '../../core/index.js';

export interface OutputStreamLimits {
  /**
   * How often buffered output becomes an event at first; the interval doubles after every
   * `eventsPerStep` events, up to `maxIntervalMs`, so a long command cannot crowd the event log
   * (which keeps the newest 20,000 events of an agent).
   */
  intervalMs: number;
  maxIntervalMs?: number;
  eventsPerStep?: number;
  /** Bytes per second that become events; the rest of a burst is skipped (the result keeps head and tail). */
  bytesPerSecond: number;
  /** Bytes per command that become events. */
  maxBytes: number;
  /** A line longer than this is sent in pieces (a secret in it may then be split: see docs/agent.md). */
  maxLineBytes: number;
}

export const defaultOutputStreamLimits: OutputStreamLimits = { intervalMs: 400, maxIntervalMs: 5_000, eventsPerStep: 100, bytesPerSecond: 16 * 1024, maxBytes: 128 * 1024, maxLineBytes: 8 * 1024 };

type Stream = ToolOutputEvent['stream'];

/**
 * Turns a command's output into `tool_output` events while it runs: buffered, sent every
 * `intervalMs`, at most `bytesPerSecond` and `maxBytes` in all. Only whole lines are sent (the rest
 * waits for its newline or the end), so the scrubber, which runs on each event, sees every secret
 * value and token whole; an unfinished PEM block waits for its END line.
 */
export class OutputStream {
  private readonly pending: Record<Stream, string> = { stdout: '', stderr: '' };
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private skipped = 0;
  private windowStart = 0;
  private windowBytes = 0;
  private capped = false;
  private events = 0;

  constructor(
    private readonly callId: string,
    private readonly emit: (event: ToolOutputEvent) => void,
    private readonly limits: OutputStreamLimits = defaultOutputStreamLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a chunk of output; sent within `intervalMs`. */
  push(stream: Stream, text: string): void {
    if (this.capped) return;
    this.pending[stream] += text;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush(false);
    }, this.interval());
  }

  /** Sends what is buffered, unfinished lines too: the command has ended. */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush(true);
    if (this.skipped > 0 && !this.capped) this.send('stderr', `[errand: ${this.skipped} bytes of output not shown live; the step's result keeps its start and end]\n`, true);
  }

  /** The batching interval now: it doubles after every `eventsPerStep` events sent. */
  private interval(): number {
    const { intervalMs, maxIntervalMs = intervalMs, eventsPerStep = Infinity } = this.limits;
    return Math.min(maxIntervalMs, intervalMs * 2 ** Math.floor(this.events / eventsPerStep));
  }

  private flush(final: boolean): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const ready = final ? this.pending[stream] : readyPart(this.pending[stream], this.limits.maxLineBytes);
      this.pending[stream] = this.pending[stream].slice(ready.length);
      if (ready) this.send(stream, ready, false);
    }
  }

  private send(stream: Stream, text: string, note: boolean): void {
    if (this.capped) return;
    const at = this.now();
    if (at - this.windowStart >= 1000) {
      this.windowStart = at;
      this.windowBytes = 0;
    }
    const size = Buffer.byteLength(text);
    if (!note && this.sent + size > this.limits.maxBytes) {
      this.capped = true;
      this.emit({ type: 'tool_output', callId: this.callId, stream: 'stderr', text: `[errand: live output stops here after ${this.sent} bytes; the step's result keeps its start and end]\n` });
      return;
    }
    if (!note && this.windowBytes + size > this.limits.bytesPerSecond) {
      this.skipped += size;
      return;
    }
    this.sent += size;
    this.windowBytes += size;
    this.events += 1;
    this.emit({ type: 'tool_output', callId: this.callId, stream, text });
  }
}

/** The whole lines of `buffer` (a very long unfinished line in pieces), minus an unfinished PEM block. */
function readyPart(buffer: string, maxLineBytes: number): string {
  const newline = buffer.lastIndexOf('\n');
  let ready = newline >= 0 ? buffer.slice(0, newline + 1) : '';
  if (!ready && buffer.length > maxLineBytes) ready = buffer.slice(0, buffer.length - 256);
  const begin = ready.lastIndexOf('-----BEGIN ');
  if (begin >= 0 && !/-----END [A-Z0-9 ]*-----/.test(ready.slice(begin))) {
    // Hold the block until its END line arrives, unless it is absurdly long.
    if (buffer.length - begin < 64 * 1024) ready = ready.slice(0, begin);
  }
  return ready;
}
