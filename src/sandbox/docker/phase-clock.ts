/** Milliseconds each phase of a start took, in order (for the log and bench/agent-run.ts). */
export interface PhaseClock {
  mark(phase: string): void;
  spans(): Record<string, number>;
}

export function phaseClock(now: () => number = () => performance.now()): PhaseClock {
  let last = now();
  const spans: Record<string, number> = {};
  return {
    mark(phase) {
      const at = now();
      spans[phase] = Math.round((spans[phase] ?? 0) + at - last);
      last = at;
    },
    spans: () => ({ ...spans }),
  };
}
