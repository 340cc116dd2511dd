import { z } from 'zod';

/** Every job Errand runs: name → payload schema. Payloads carry ids, never state or secrets. */
export const jobs = {
  run: z.object({ agentId: z.string().regex(/^ag_[0-9a-z]{12}$/) }).strict(),
  resume: z.object({ agentId: z.string().regex(/^ag_[0-9a-z]{12}$/) }).strict(),
  salvage: z.object({ agentId: z.string().regex(/^ag_[0-9a-z]{12}$/) }).strict(),
} as const;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobs, name);
}

/** Validates a payload read from Redis; returns the reason when it is not one we can run. */
export function parseJob(name: string, data: unknown): { ok: true; name: JobName; payload: JobPayload<JobName> } | { ok: false; reason: string } {
  if (!isJobName(name)) return { ok: false, reason: `unknown job name ${JSON.stringify(name)}` };
  const result = jobs[name].safeParse(data);
  if (!result.success) return { ok: false, reason: `invalid ${name} payload: ${z.prettifyError(result.error)}` };
  return { ok: true, name, payload: result.data };
}
