import { Router, type NextFunction, type Request, type Response } from 'express';
import { loadViewer, PageError, requireViewer, viewerOfRes } from './auth.js';
import type { DashboardContext } from './context.js';

export const queueViewPath = '/admin/queues';

/**
 * The queue view (bull-board): waiting, active, delayed and failed jobs of every queue, with retry
 * and remove. It shows every workspace's jobs, so only platform admins (an admin API key's
 * session) see it; everyone else gets 403. Changes come from its own page by fetch: a request
 * another site made (Sec-Fetch-Site or Origin not ours) is refused.
 */
export function queueViewRoutes(ctx: DashboardContext, board: (basePath: string) => Router): Router {
  const router = Router();
  router.use(queueViewPath, loadViewer(ctx), requireViewer, requirePlatformAdmin, refuseCrossSite, board(queueViewPath));
  return router;
}

function requirePlatformAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (!viewerOfRes(res).key.admin) {
    throw new PageError(403, 'Admins only', 'The queue view shows every workspace\'s jobs: only people signed in with an admin API key see it.');
  }
  next();
}

function refuseCrossSite(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const host = req.get('host');
  if ((site && site !== 'same-origin') || (origin && host && new URL(origin).host !== host)) {
    throw new PageError(403, 'Refused', 'This change was sent from another site.');
  }
  next();
}
