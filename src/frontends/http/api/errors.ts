import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { isErrandError, type ErrorCode, type Log } from '../../../core/index.js';

/** An API refusal that is not a core error: authentication, body size, an unknown route. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field at fault, e.g. `prompt.text`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status for each core error code; anything unknown is a 500. */
const statusByCode: Record<ErrorCode, number> = {
  invalid_request: 400,
  unknown_option: 400,
  empty_prompt: 400,
  invalid_transition: 409,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  busy: 429,
  limit_reached: 429,
  unavailable: 503,
  not_configured: 503,
  environment_invalid: 422,
  sandbox_failed: 502,
  model_failed: 502,
  git_failed: 502,
  aborted: 409,
  secret_unreadable: 500,
  internal: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code] ?? 500;
}

/** A zod failure as a 400 naming the first field at fault (`prompt.text is required`). */
export function invalidBody(error: z.ZodError, where = 'body'): ApiError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  const missing = issue?.code === 'invalid_type' && /received undefined/.test(issue.message);
  const detail = missing ? 'is required' : (issue?.message.replace(/^Invalid input: /, '') ?? 'is invalid');
  return new ApiError(400, 'invalid_request', `${field}: ${detail}`, field);
}

/**
 * The API's error handler: `{ error: { message, code, field? } }` with the status the error calls for.
 * v1 also puts `code` and `message` at the top level, where Cursor's v1 clients read them.
 * Messages of 5xx errors are not shown (they may hold internals); they are logged instead.
 */
export function apiErrorHandler(log: Log, shape: 'v0' | 'v1' = 'v0') {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let status = 500;
    let body: { message: string; code: string; field?: string } = { message: 'internal error', code: 'internal' };
    if (error instanceof ApiError) {
      status = error.status;
      body = { message: error.message, code: error.code, ...(error.field ? { field: error.field } : {}) };
    } else if (isErrandError(error)) {
      status = httpStatusFor(error.code);
      const fields = (error as { fields?: unknown }).fields;
      body = { message: status >= 500 && error.code === 'internal' ? 'internal error' : error.message, code: error.code };
      if (Array.isArray(fields) && typeof fields[0] === 'string') body.field = fields.join(',');
    } else {
      const type = (error as { type?: unknown })?.type;
      if (type === 'entity.too.large') {
        status = 413;
        body = { message: 'the request body is too large (the API takes at most 1 MB of JSON)', code: 'payload_too_large' };
      } else if (type === 'entity.parse.failed') {
        status = 400;
        body = { message: 'the request body is not valid JSON', code: 'invalid_json' };
      } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        status = 415;
        body = { message: 'send the body as UTF-8 JSON', code: 'unsupported_media_type' };
      }
    }
    if (status >= 500) log.error({ err: error, path: req.path }, 'api request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(shape === 'v1' ? { code: body.code, message: body.message, error: body } : { error: body });
  };
}

/** Runs a check whose invalid_request / not_configured error should name the request field. */
export function fieldCheck(field: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (isErrandError(error, 'invalid_request') || isErrandError(error, 'not_configured')) {
      throw new ApiError(400, 'invalid_request', `${field}: ${error.message}`, field);
    }
    throw error;
  }
}
