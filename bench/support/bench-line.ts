import { z } from 'zod';

/** A `BENCH {json}` line's JSON (BenchMetric in report.ts), checked where the lines are read. */
export const BenchLine = z.object({
  metric: z.string().min(1),
  goal: z.string().min(1),
  unit: z.enum(['ms', 'MB', 'count', 'ratio', 'per s']),
  median: z.number(),
  p99: z.number(),
  n: z.number().int().nonnegative(),
  baseline: z.number().optional(),
  baselineName: z.string().optional(),
  ratio: z.number().optional(),
  pass: z.boolean(),
});
export type BenchLine = z.infer<typeof BenchLine>;
