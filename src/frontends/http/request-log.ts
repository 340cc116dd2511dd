import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logger.js';

/** Probes are not logged: a load balancer asks every few seconds. */
const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The path as logged: no query string (login links, OAuth codes) and no login token in the path.
 * Headers are never logged (authorization, cookies, Slack and GitHub signatures live there).
 */
export function loggedPath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path.replace(/\/login\/[^/]+/, '/login/[redacted]');
}

/**
 * One log record per answered request (pino-http) through Errand's logger, so its redaction and
 * scrubber apply; only method, path, status and time are recorded.
 */
export function requestLog(log: Logger) {
  return pinoHttp({
    logger: log.child({ component: 'http' }),
    autoLogging: { ignore: (req) => quietPaths.has(loggedPath(req.url)) },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: () => 'request answered',
    customErrorMessage: () => 'request failed',
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, path: loggedPath(req.url) }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    wrapSerializers: false,
  });
}
