import type { NextFunction, Request, Response } from 'express';
import { isAdmin, type Principal } from '../../core/index.js';
import { principalOfKey, type ApiKeyInfo } from '../http/api/index.js';
import type { DashboardContext } from './context.js';
import type { Session } from '../../store/redis/dashboard-sessions.js';

/** Who is looking: the API key the session acts as, its principal, and whether they are an admin. */
export interface Viewer {
  key: ApiKeyInfo;
  principal: Principal;
  workspace: string;
  admin: boolean;
  sessionId: string;
  session: Session;
}

/** A refusal the dashboard shows as a page: status, a title and what to do about it. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = 'PageError';
  }
}

function secure(ctx: DashboardContext, req: Request): boolean {
  return req.secure || (ctx.publicUrl?.startsWith('https:') ?? false);
}

/** `__Host-` pins the cookie to this host and path `/`, and needs Secure; plain http (localhost) gets the bare name. */
export function cookieName(ctx: DashboardContext, req: Request): string {
  return secure(ctx, req) ? '__Host-errand_session' : 'errand_session';
}

export function readCookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export function setSessionCookie(ctx: DashboardContext, req: Request, res: Response, id: string): void {
  res.cookie(cookieName(ctx, req), id, { httpOnly: true, sameSite: 'lax', secure: secure(ctx, req), path: '/', maxAge: ctx.sessions.idleSeconds * 1000 });
}

export function clearSessionCookie(ctx: DashboardContext, req: Request, res: Response): void {
  res.clearCookie(cookieName(ctx, req), { httpOnly: true, sameSite: 'lax', secure: secure(ctx, req), path: '/' });
}

/** The key behind a session, if the key still exists (a revoked key ends its sessions at once). */
export async function keyById(ctx: DashboardContext, keyId: string): Promise<ApiKeyInfo | null> {
  return (await ctx.keys.list()).find((k) => k.id === keyId) ?? null;
}

export async function viewerOf(ctx: DashboardContext, key: ApiKeyInfo, sessionId: string, session: Session): Promise<Viewer> {
  const principal = principalOfKey(key);
  const admin = key.admin || isAdmin(principal, await ctx.settings.get(key.workspace));
  return { key, principal, workspace: key.workspace, admin, sessionId, session };
}

/** Loads the viewer into `res.locals.viewer` when the request carries a live session. */
export function loadViewer(ctx: DashboardContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const id = readCookie(req, cookieName(ctx, req));
    if (id) {
      const session = await ctx.sessions.get(id);
      const key = session ? await keyById(ctx, session.keyId) : null;
      if (session && key) res.locals['viewer'] = await viewerOf(ctx, key, id, session);
      else if (session) await ctx.sessions.delete(id);
    }
    next();
  };
}

export function maybeViewer(res: Response): Viewer | null {
  return (res.locals['viewer'] as Viewer | undefined) ?? null;
}

/** Pages need a session: without one, a GET goes to the sign-in page (and back after), anything else is refused. */
export function requireViewer(req: Request, res: Response, next: NextFunction): void {
  if (maybeViewer(res)) return next();
  if (req.method === 'GET' && req.accepts('html')) {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  throw new PageError(401, 'Signed out', 'Your session has ended. Sign in again.');
}

export function viewerOfRes(res: Response): Viewer {
  const viewer = maybeViewer(res);
  if (!viewer) throw new PageError(401, 'Signed out', 'Your session has ended. Sign in again.');
  return viewer;
}

/** The origins a form may be posted from: the public URL's, and the one the request came in on. */
function allowedOrigins(ctx: DashboardContext, req: Request): string[] {
  const origins = [`${req.protocol}://${req.get('host') ?? ''}`];
  if (ctx.publicUrl) origins.push(new URL(ctx.publicUrl).origin);
  return origins;
}

/**
 * CSRF: every POST must come from our own pages. The browser's Origin (or, lacking it, Referer)
 * must be ours; and with a session, the form must carry the session's token too.
 */
export function checkCsrf(ctx: DashboardContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') return next();
    const origin = req.get('origin') ?? (req.get('referer') ? safeOrigin(req.get('referer')!) : null);
    if (origin !== null && !allowedOrigins(ctx, req).includes(origin)) {
      throw new PageError(403, 'Refused', 'This form was sent from another site. Go back to the dashboard and try again.');
    }
    const viewer = maybeViewer(res);
    if (viewer) {
      const token = typeof req.body?.['csrf'] === 'string' ? (req.body['csrf'] as string) : req.get('x-csrf-token');
      if (token !== viewer.session.csrf) {
        throw new PageError(403, 'Refused', 'This form has expired (the page was older than your session). Reload the page and try again.');
      }
    } else if (origin === null) {
      throw new PageError(403, 'Refused', 'This browser did not say where the form came from. Sign in from the dashboard page.');
    }
    next();
  };
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
