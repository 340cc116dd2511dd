/**
 * What Errand counts for operators. The core and the engine call these; an adapter (prom-client,
 * src/metrics/) turns them into Prometheus series. Every method is cheap and never throws.
 */
export interface Metrics {
  /** An agent was launched from this front end (`slack`, `github`, `api`). */
  launched(frontend: string): void;
  /** A run job waited this long in the queue before a worker took it. */
  queueWait(seconds: number): void;
  /** A job of this kind (`run`, `resume`, `salvage`) ended this way after this long. */
  runDuration(kind: string, outcome: 'completed' | 'failed' | 'requeued', seconds: number): void;
  /** Tokens a model call used, by provider (`openai`, `anthropic`, an endpoint's name). */
  modelTokens(provider: string, input: number, output: number): void;
  /** A model call failed for good (after its retries), by provider and error code. */
  modelError(provider: string, code: string): void;
  /** A Slack or GitHub API call failed. */
  platformApiError(platform: 'slack' | 'github', code: string): void;
  /** A Slack or GitHub API call was told to wait this long by a rate limit. */
  rateLimitWait(platform: 'slack' | 'github', seconds: number): void;
  /** An agent's request through the egress proxy was let through or refused. */
  egressRequest(allowed: boolean): void;
}

/** Counts nothing: the default where no metrics are wired (tests, admin commands). */
export const noMetrics: Metrics = {
  launched: () => undefined,
  queueWait: () => undefined,
  runDuration: () => undefined,
  modelTokens: () => undefined,
  modelError: () => undefined,
  platformApiError: () => undefined,
  rateLimitWait: () => undefined,
  egressRequest: () => undefined,
};
