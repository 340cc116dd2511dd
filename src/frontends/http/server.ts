import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../logger.js';
import { healthRoutes, type MetricsEndpoint, type ReadinessCheck } from './health-routes.js';
import { redisGate } from './redis-gate.js';
import { requestLog } from './request-log.js';

/** A front end adds its routes to Errand's one HTTP server. */
export interface HttpMount {
  readonly name: string;
  mount(app: Express): void;
  /**
   * A WebSocket upgrade request: returns true when this mount takes it (and then answers or
   * destroys the socket itself). Requests no mount takes are refused with 404.
   */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  mounts: HttpMount[];
  /** Whether Errand's Redis connection is up: the gate that refuses requests while it is down. */
  redisReady?: () => boolean;
  /** What `/readyz` checks (Redis, Docker, the queue); each names itself when down. */
  readiness?: ReadinessCheck[];
  /** `/metrics` (Prometheus text), with its bearer token; absent: no `/metrics`. */
  metrics?: MetricsEndpoint;
  /** One log record per request (pino-http); off in tests that do not look at them. */
  requestLog?: boolean;
}

export interface RunningHttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Errand's HTTP server. No global body parser: Slack and GitHub verify signatures over the raw
 * body, so each mount parses its own bodies (with its own size cap).
 */
export function createApp(options: Pick<HttpServerOptions, 'log' | 'mounts' | 'redisReady' | 'readiness' | 'metrics' | 'requestLog'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  if (options.requestLog ?? true) app.use(requestLog(options.log));
  if (options.metrics) {
    const { metrics } = options;
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => metrics.observeRequest?.(req.originalUrl.split('?')[0] ?? '/', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
      next();
    });
  }
  const redisCheck: ReadinessCheck[] = options.redisReady ? [{ name: 'redis', check: options.redisReady }] : [];
  app.use(healthRoutes({ readiness: options.readiness ?? redisCheck, ...(options.metrics ? { metrics: options.metrics } : {}) }));
  if (options.redisReady) app.use(redisGate(options.redisReady));
  for (const mount of options.mounts) mount.mount(app);
  app.use((_req, res) => {
    res.status(404).json({ error: { message: 'not found', code: 'not_found' } });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatusOf(error);
    if (status >= 500) options.log.error({ err: error, path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json({ error: { message: status >= 500 ? 'internal error' : messageOf(error), code: codeOf(error, status) } });
  });
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const app = createApp(options);
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (options.mounts.some((mount) => mount.upgrade?.(req, socket, head) ?? false)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function httpStatusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'bad request';
}

function codeOf(error: unknown, status: number): string {
  const type = (error as { type?: unknown })?.type;
  if (type === 'entity.too.large') return 'payload_too_large';
  if (type === 'entity.parse.failed') return 'invalid_json';
  return status === 404 ? 'not_found' : status >= 500 ? 'internal' : 'invalid_request';
}
