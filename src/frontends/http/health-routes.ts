import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';

/** One thing `/readyz` checks; `check` answers whether it is up (a throw or a timeout is down). */
export interface ReadinessCheck {
  name: string;
  check(): boolean | Promise<boolean>;
}

export interface MetricsEndpoint {
  render(): Promise<string>;
  contentType: string;
  /** ERRAND_METRICS_TOKEN: scrapers send `Authorization: Bearer <token>`; unset, only loopback may scrape. */
  token?: string | undefined;
  /** Called once per answered request, for the ack-latency histogram. */
  observeRequest?(path: string, status: number, seconds: number): void;
}

const checkTimeoutMs = 2_000;

/**
 * `/healthz` (the process answers), `/readyz` (every check up, else 503 naming what is down) and
 * `/metrics`. Every role serves them: the web role on its HTTP port, the worker on its own.
 */
export function healthRoutes(options: { readiness: ReadinessCheck[]; metrics?: MetricsEndpoint }): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(options.readiness.map(async ({ name, check }) => [name, await settle(check)] as const));
    const down = results.filter(([, up]) => !up).map(([name]) => name);
    const body = { ready: down.length === 0, ...Object.fromEntries(results.map(([name, up]) => [name, up ? 'up' : 'down'])), ...(down.length ? { down, message: `not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down` } : {}) };
    res.status(down.length ? 503 : 200).json(body);
  });
  const { metrics } = options;
  if (metrics) {
    router.get('/metrics', async (req, res, next) => {
      if (!mayScrape(req, metrics.token)) {
        res.status(metrics.token ? 401 : 403).json({
          error: { code: 'unauthorized', message: metrics.token ? 'send Authorization: Bearer <ERRAND_METRICS_TOKEN>' : '/metrics answers only loopback clients unless ERRAND_METRICS_TOKEN is set' },
        });
        return;
      }
      try {
        const text = await metrics.render();
        res.type(metrics.contentType).send(text);
      } catch (error) {
        next(error);
      }
    });
  }
  return router;
}

async function settle(check: ReadinessCheck['check']): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), checkTimeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function mayScrape(req: Request, token: string | undefined): boolean {
  if (!token) return isLoopback(req.socket.remoteAddress);
  const sent = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
  const a = Buffer.from(sent);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}
