import { ErrandError } from '../../core/errors.js';

interface DockerApiError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
}

/** The HTTP status of a failed Docker API call, if it got that far. */
export function dockerStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as DockerApiError).statusCode : undefined;
}

/** Docker's own message for an API error, without dockerode's "(HTTP code …)" prefix noise. */
export function dockerMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { json } = error as DockerApiError;
  if (json?.message) return json.message;
  return error instanceof Error ? error.message : String(error);
}

const connectionCodes = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

export function isConnectionError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && connectionCodes.has((error as DockerApiError).code ?? '');
}

/** Docker cannot be reached: say where we looked and how to point Errand elsewhere. */
export function dockerUnavailable(error: unknown, where: string): ErrandError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ErrandError(
    'unavailable',
    `Docker is not reachable at ${where} (${reason}): start the Docker daemon, or set DOCKER_HOST (e.g. unix:///var/run/docker.sock or tcp://host:2375) to one that runs, and check that this user may use it`,
    { cause: error },
  );
}
