import express, { Router, type Request, type Response } from 'express';
import { keyFromHeader } from '../http/api/auth.js';
import { checkCsrf, clearSessionCookie, loadViewer, maybeViewer, PageError, setSessionCookie, viewerOfRes } from './auth.js';
import type { DashboardContext } from './context.js';
import { terminalCloseCodes } from './live-terminals.js';
import { pageHeaders, sendPage } from './respond.js';
import { confirmLinkBody, loginBody } from './views/login.js';

/** Only paths on this site: `/agents/…`, never `//evil.example` or an absolute URL. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && !value.startsWith('/login') ? value : '/';
}

export function baseUrl(ctx: DashboardContext, req: Request): string {
  return (ctx.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

/** Sign-in with a pasted API key or a one-time link, sign-out, and minting links for `errand login --link`. */
export function loginRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const page = [pageHeaders, loadViewer(ctx)];
  const form = [pageHeaders, express.urlencoded({ extended: false, limit: '16kb' }), loadViewer(ctx), checkCsrf(ctx)];

  router.get('/login', ...page, (req: Request, res: Response) => {
    const next = safeNext(req.query['next']);
    if (maybeViewer(res)) {
      res.redirect(303, next);
      return;
    }
    sendPage(ctx, res, { title: 'Sign in', body: loginBody(next, null) });
  });

  router.post('/login', ...form, async (req: Request, res: Response) => {
    const next = safeNext(req.body?.['next']);
    const key = typeof req.body?.['key'] === 'string' ? (req.body['key'] as string).trim() : '';
    const record = key ? await ctx.keys.verify(key) : null;
    if (!record) {
      ctx.log.info({ ip: req.ip }, 'dashboard sign-in refused');
      sendPage(ctx, res, { title: 'Sign in', body: loginBody(next, 'That key is not valid here: it may be mistyped, revoked, or for another Errand server.') }, 401);
      return;
    }
    await startSession(ctx, req, res, record.id);
    res.redirect(303, next);
  });

  router.get('/login/:token', ...page, async (req: Request<{ token: string }>, res: Response) => {
    // Showing the page does not use the link up: chat apps that preview links must not spend it.
    if (!(await ctx.links.peek(req.params.token))) throw usedLink();
    sendPage(ctx, res, { title: 'Sign in', body: confirmLinkBody(req.params.token, maybeViewer(res)) });
  });

  router.post('/login/:token', ...form, async (req: Request<{ token: string }>, res: Response) => {
    const keyId = await ctx.links.consume(req.params.token);
    if (!keyId) throw usedLink();
    const key = (await ctx.keys.list()).find((k) => k.id === keyId);
    if (!key) throw new PageError(401, 'Key revoked', 'The API key this link was made for has been revoked.');
    await startSession(ctx, req, res, key.id);
    res.redirect(303, '/');
  });

  router.post('/logout', ...form, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    await ctx.sessions.delete(viewer.sessionId);
    // Web terminals of this session in this process close now; other processes' at their next check.
    ctx.liveTerminals.closeWhere((t) => t.sessionId === viewer.sessionId, terminalCloseCodes.signedOut, 'You signed out.');
    clearSessionCookie(ctx, req, res);
    res.redirect(303, '/login');
  });

  /** `errand login --link`: with the API key in the Authorization header, a one-time sign-in link for the same key. */
  router.post('/auth/login-links', async (req: Request, res: Response) => {
    const given = keyFromHeader(req.get('authorization'));
    const record = given ? await ctx.keys.verify(given) : null;
    if (!record) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'send a valid API key as `Authorization: Bearer err_…`' } });
      return;
    }
    const token = await ctx.links.mint(record.id);
    ctx.log.info({ keyId: record.id }, 'dashboard sign-in link minted');
    res.status(201).json({ url: `${baseUrl(ctx, req)}/login/${token}`, expiresAt: new Date(ctx.clock.now().getTime() + ctx.links.ttl * 1000).toISOString() });
  });

  return router;
}

function usedLink(): PageError {
  return new PageError(410, 'Link used or expired', 'Sign-in links work once and for a few minutes. Run `errand login --link` again for a new one, or sign in with your API key.');
}

async function startSession(ctx: DashboardContext, req: Request, res: Response, keyId: string): Promise<void> {
  const old = maybeViewer(res);
  if (old) await ctx.sessions.delete(old.sessionId);
  const { id } = await ctx.sessions.create(keyId);
  setSessionCookie(ctx, req, res, id);
  ctx.log.info({ keyId }, 'dashboard sign-in');
}
