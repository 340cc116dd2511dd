import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

export interface GcStats {
  /** Young-generation collections (scavenges) and all others. */
  scavenges: number;
  others: number;
  /** Pause time of all of them, and the longest, in ms. */
  totalMs: number;
  maxMs: number;
}

/**
 * Watches this process's garbage collections until `stop`: how many, and how long the event loop
 * stood still for them. Counts do not depend on how busy the machine is, so they compare V8 heap
 * settings (e.g. `--max-semi-space-size`) where timings on a shared machine cannot.
 */
export function watchGc(): { stop(): Promise<GcStats> } {
  const stats: GcStats = { scavenges: 0, others: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) stats.scavenges++;
      else stats.others++;
      stats.totalMs += entry.duration;
      stats.maxMs = Math.max(stats.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      // GC entries are delivered asynchronously: let the last ones arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      return { ...stats, totalMs: Number(stats.totalMs.toFixed(1)), maxMs: Number(stats.maxMs.toFixed(1)) };
    },
  };
}

export function gcLine(stats: GcStats): string {
  return `GC: ${stats.scavenges} scavenges + ${stats.others} other, ${stats.totalMs} ms paused in all, longest ${stats.maxMs} ms`;
}
