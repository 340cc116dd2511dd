import type { NextFunction, Request, Response } from 'express';
import { isErrandError } from '../../core/index.js';
import { httpStatusFor } from '../http/api/errors.js';
import { maybeViewer, PageError } from './auth.js';
import type { DashboardContext } from './context.js';
import type { SafeHtml } from './html.js';
import { page, type PageOptions } from './views/layout.js';
import { errorBody } from './views/login.js';

/** No inline script or style anywhere, so the policy can forbid them; nothing from other origins. */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers for every dashboard response (pages, fragments, the event stream). */
export function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Sign-in links carry their token in the path: never send it to another site. (`no-referrer`
    // would make browsers send `Origin: null` on our own forms, which the CSRF check refuses.)
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  });
  next();
}

export function sendPage(ctx: DashboardContext, res: Response, options: Omit<PageOptions, 'assets' | 'viewer'>, status = 200): void {
  res.status(status).type('html').send(page({ ...options, viewer: maybeViewer(res), assets: ctx.assets }).toString());
}

export function sendFragment(res: Response, fragment: SafeHtml): void {
  res.status(200).type('html').send(fragment.toString());
}

/** Errors on dashboard routes become pages that say what happened and what to do. */
export function dashboardErrorHandler(ctx: DashboardContext) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      res.end();
      return;
    }
    let status = 500;
    let title = 'Something went wrong';
    let message = 'Errand could not do that. The server log has the details.';
    if (error instanceof PageError) {
      ({ status, title, message } = error);
    } else if (isErrandError(error)) {
      status = httpStatusFor(error.code);
      if (status < 500 || error.code === 'not_configured') {
        title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'That did not work';
        message = error.message;
      }
    } else if ((error as { type?: unknown })?.type === 'entity.too.large') {
      status = 413;
      title = 'Too long';
      message = 'That form was too large to send.';
    } else if (typeof (error as { status?: unknown })?.status === 'number' && (error as { status: number }).status < 500) {
      status = (error as { status: number }).status;
      title = 'That did not work';
      message = 'The request was not understood.';
    }
    if (status >= 500) ctx.log.error({ err: error, path: req.path }, 'dashboard request failed');
    if (!req.accepts('html')) {
      next(error);
      return;
    }
    sendPage(ctx, res, { title, body: errorBody(title, message, status === 401 || status === 410) }, status);
  };
}
