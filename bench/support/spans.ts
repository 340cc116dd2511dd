/**
 * Where a measured interval's time went: each wrapped call records when it started and ended,
 * relative to the interval's start, so a benchmark can print the median of each phase. Wrapping
 * happens from the outside (a Proxy over the dependency), so the code measured is unchanged.
 */
export class Spans {
  private origin = 0;
  private current: { name: string; start: number; end: number }[] = [];
  private readonly done: { name: string; start: number; end: number }[][] = [];

  /** A new interval starts now. */
  begin(): void {
    this.origin = performance.now();
    this.current = [];
  }

  /** The interval ended: its spans are kept for the summary. */
  end(): void {
    this.done.push(this.current);
    this.current = [];
  }

  /** One instant (start = end). */
  mark(name: string): void {
    const at = performance.now() - this.origin;
    this.current.push({ name, start: at, end: at });
  }

  /** Records each call of the named methods of `target` as a span `<label>.<method>`. */
  wrap<T extends object>(target: T, label: string, methods: readonly (keyof T & string)[]): T {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the proxy handler needs the recorder
    const spans = this;
    return new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function' || !methods.includes(property as keyof T & string)) return typeof value === 'function' ? value.bind(object) : value;
        return (...args: unknown[]) => {
          const list = spans.current;
          const span = { name: `${label}.${String(property)}`, start: performance.now() - spans.origin, end: Number.NaN };
          list.push(span);
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
          const close = () => { span.end = performance.now() - spans.origin; };
          if (result instanceof Promise) return result.finally(close);
          close();
          return result;
        };
      },
    });
  }

  /** Per span name (`name#2` for its second call in an interval, …): median start and end, ms from the interval's start. */
  summary(): { name: string; n: number; startMs: number; endMs: number }[] {
    const byName = new Map<string, { starts: number[]; ends: number[] }>();
    for (const interval of this.done) {
      const seen = new Map<string, number>();
      for (const span of interval) {
        const count = (seen.get(span.name) ?? 0) + 1;
        seen.set(span.name, count);
        const name = count === 1 ? span.name : `${span.name}#${count}`;
        const entry = byName.get(name) ?? { starts: [], ends: [] };
        entry.starts.push(span.start);
        entry.ends.push(span.end);
        byName.set(name, entry);
      }
    }
    return [...byName.entries()]
      .map(([name, { starts, ends }]) => ({ name, n: starts.length, startMs: Math.round(middle(starts)), endMs: Math.round(middle(ends)) }))
      .sort((a, b) => a.startMs - b.startMs);
  }
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
