import { ConfigError } from '../config.js';
import { ErrandError } from '../core/index.js';
import { ApiClientError } from './api-client.js';

/** Errors whose message already says what to do. */
const knownErrors = [ErrandError, ApiClientError, ConfigError];
/**
 * The Redis connection's errors, known by code: importing their classes would load ioredis into
 * every command, and API client commands are meant to start fast.
 */
const knownCodes = new Set(['redis_unreachable', 'redis_not_installed']);

function isKnown(error: unknown): error is Error {
  if (knownErrors.some((kind) => error instanceof kind)) return true;
  return error instanceof Error && knownCodes.has(String((error as { code?: unknown }).code));
}

/**
 * What the CLI prints when a command fails: one line that says what went wrong and how to fix it.
 * Errors Errand does not know become one line too, naming the way to see the stack.
 */
export function errorLine(error: unknown): string {
  if (error instanceof ApiClientError && error.status === 401) {
    return `${oneLine(error.message)} (this command sends ERRAND_API_KEY, else the key saved by \`errand login\`)`;
  }
  if (isKnown(error)) return oneLine(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return `unexpected error: ${oneLine(message)} (run again with LOG_LEVEL=debug for the stack trace, and report it)`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}
