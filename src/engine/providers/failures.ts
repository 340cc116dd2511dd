import { ErrandError } from '../../core/index.js';
import { isRetryableStatus, retryAfterMs, type AttemptFailure } from './retry.js';

/** Who we are talking to, for fix-it messages: never the key itself, only where it comes from. */
export interface ProviderIdentity {
  /** The provider name as written in model names: `openai`, `anthropic`, `ollama`. */
  provider: string;
  /** The variable a user sets to fix a rejected or missing key, e.g. `OPENAI_API_KEY`. */
  keyVariable: string;
  /** The variable holding the base URL, for "not found" hints. */
  baseUrlVariable: string;
}

/** Turns an HTTP failure from either SDK into retry-or-fail, with messages a user can act on. */
export function classifyHttpFailure(
  identity: ProviderIdentity,
  failure: { status: number; headers: Headers | undefined; message: string; model: string; error: unknown },
): AttemptFailure {
  const { provider, keyVariable, baseUrlVariable } = identity;
  const { status, headers, message, model, error } = failure;
  if (status === 401 || status === 403) {
    return {
      kind: 'final',
      error: new ErrandError('model_failed', `the ${provider} model provider rejected the API key (HTTP ${status}): check ${keyVariable}`, { cause: error }),
    };
  }
  if (isRetryableStatus(status, headers)) {
    const wait = retryAfterMs(headers);
    return wait === undefined ? { kind: 'retryable', status, error } : { kind: 'retryable', status, retryAfterMs: wait, error };
  }
  if (status === 404) {
    return {
      kind: 'final',
      error: new ErrandError('model_failed', `the ${provider} model provider has no model "${model}" or the endpoint is wrong (HTTP 404): check the model name and ${baseUrlVariable}`, { cause: error }),
    };
  }
  return { kind: 'final', error: new ErrandError('model_failed', `the ${provider} model provider refused the request: ${message}`, { cause: error }) };
}

export function connectionFailure(error: unknown): AttemptFailure {
  return { kind: 'retryable', error };
}

export function unexpectedFailure(provider: string, error: unknown): AttemptFailure {
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'final', error: new ErrandError('model_failed', `the ${provider} model call failed: ${message}`, { cause: error }) };
}
