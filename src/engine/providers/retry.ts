import { ErrandError, type Log } from '../../core/index.js';

/**
 * How a model call is retried. The SDKs' own retries are off (`maxRetries: 0`) because their
 * back-off sleep ignores the abort signal (a stop would wait out a long `retry-after`) and their
 * delays cannot be shortened for tests; this loop does the same job and is abort-aware.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First back-off delay; doubles per retry, with up to 25% jitter taken off. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this is not waited out: the call fails as rate limited. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** What went wrong with one attempt, as each adapter reads its SDK's error. */
export type AttemptFailure =
  | { kind: 'retryable'; status?: number; retryAfterMs?: number; error: unknown }
  | { kind: 'final'; error: ErrandError };

/**
 * Calls `attempt` until it succeeds, fails for good, or `signal` aborts. Each attempt gets a signal
 * of its own that follows `signal` and is let go after the attempt: an SDK that never removes the
 * abort listener it adds (the OpenAI SDK's fetch timeout) then leaves nothing on the run's signal,
 * which lives for hundreds of calls.
 */
export async function withRetries<T>(options: {
  attempt: (signal: AbortSignal | undefined) => Promise<T>;
  classify: (error: unknown) => AttemptFailure;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  log?: Log | undefined;
  provider: string;
}): Promise<T> {
  const { attempt, classify, policy, signal, log, provider } = options;
  for (let retry = 0; ; retry++) {
    throwIfAborted(signal);
    try {
      return await (signal ? attemptFollowing(signal, attempt) : attempt(undefined));
    } catch (error) {
      if (signal?.aborted) throw abortedError(error);
      const failure = classify(error);
      if (failure.kind === 'final') throw failure.error;
      const status = failure.status ?? 'connection';
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) {
        throw new ErrandError('model_failed', `the ${provider} model provider asked to wait ${Math.ceil(failure.retryAfterMs / 1000)} s before retrying (rate limited); try again later or raise the provider's limits`, { cause: failure.error });
      }
      if (retry >= policy.maxRetries) {
        throw new ErrandError('model_failed', `the ${provider} model provider kept failing (${describeStatus(failure.status)}) after ${retry + 1} attempts`, { cause: failure.error });
      }
      const delayMs = failure.retryAfterMs ?? backoffMs(policy, retry);
      log?.warn({ provider, status, retry: retry + 1, delayMs }, 'model call retried');
      await sleep(delayMs, signal);
    }
  }
}

async function attemptFollowing<T>(outer: AbortSignal, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  const follow = () => own.abort(outer.reason);
  outer.addEventListener('abort', follow, { once: true });
  try {
    return await attempt(own.signal);
  } finally {
    outer.removeEventListener('abort', follow);
  }
}

export function backoffMs(policy: RetryPolicy, retry: number): number {
  const full = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
  return Math.round(full * (1 - Math.random() * 0.25));
}

/** Reads `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date) from response headers. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a status is worth another attempt: timeouts, lock conflicts, rate limits, server errors. */
export function isRetryableStatus(status: number, headers?: Headers): boolean {
  const hint = headers?.get('x-should-retry');
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function abortedError(cause?: unknown): ErrandError {
  return new ErrandError('aborted', 'the model call was stopped', { cause });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal.reason);
}

function describeStatus(status: number | undefined): string {
  if (status === undefined) return 'could not connect';
  if (status === 429) return 'HTTP 429, rate limited';
  return `HTTP ${status}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
