/** What the benchmark and its trigger-worker process say to each other (over `fork`'s IPC channel). */
export type ToWorker = { seq: number } & (
  | { type: 'jobs'; on: boolean }
  | { type: 'comments'; comments: { id: number; number: number; body: string }[] }
  | { type: 'calls' }
  | { type: 'close' }
);

export const benchSlack = { secret: 'bench-secret' };
export const benchGitHub = { secret: 'bench-secret', repo: 'Codertocat/Hello-World', installationId: 77 };
