/** Stable error codes: callers branch on `code`, never on message text. */
export type ErrorCode =
  | 'invalid_request'
  | 'unknown_option'
  | 'empty_prompt'
  | 'invalid_transition'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'busy'
  | 'unavailable'
  | 'not_configured'
  | 'environment_invalid'
  | 'sandbox_failed'
  | 'model_failed'
  | 'git_failed'
  | 'limit_reached'
  | 'aborted'
  /** A stored secret cannot be decrypted: tampered, wrong scope, or the master key is wrong or missing. */
  | 'secret_unreadable'
  | 'internal';

export class ErrandError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ErrandError';
    this.code = code;
  }
}

export function isErrandError(error: unknown, code?: ErrorCode): error is ErrandError {
  return error instanceof ErrandError && (code === undefined || error.code === code);
}

/**
 * A failure that another attempt cannot fix: the queue adapter ends the job without retrying
 * (BullMQ's UnrecoverableError), so the core and engine need no queue type to say so.
 */
export class PermanentFailure extends ErrandError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PermanentFailure';
  }
}

/** Wraps anything thrown into an ErrandError, keeping the original as `cause`. */
export function toErrandError(error: unknown, code: ErrorCode = 'internal'): ErrandError {
  if (error instanceof ErrandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ErrandError(code, message, { cause: error });
}
