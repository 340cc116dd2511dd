import express, { Router, type Request, type Response } from 'express';
import { isErrandError, type SecretScope } from '../../core/index.js';
import { checkCsrf, loadViewer, requireViewer, viewerOfRes, type Viewer } from './auth.js';
import type { DashboardContext } from './context.js';
import { html } from './html.js';
import { pageHeaders, sendPage } from './respond.js';
import { auditBody } from './views/audit.js';
import { secretsBody } from './views/secrets.js';
import { settingsBody, settingsPatchFromForm } from './views/settings.js';

const noSecretStore = 'This server has no secret store: its operator sets ERRAND_MASTER_KEY (`openssl rand -base64 32`) and restarts Errand.';

const auditForbidden = html`<h1>Audit log</h1><p class="notice">Only admins read the audit log. Ask an admin of your workspace if you need to know who did what.</p>`;

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Settings (admins change them; others read them), secrets (names only) and the audit log. */
export function adminRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const page = [pageHeaders, loadViewer(ctx), requireViewer];
  const form = [pageHeaders, express.urlencoded({ extended: false, limit: '64kb' }), loadViewer(ctx), requireViewer, checkCsrf(ctx)];

  router.get('/settings', ...page, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    const saved = text(req.query['saved']);
    const notice = saved ? { text: saved === 'none' ? 'Nothing changed.' : 'Saved.', error: false } : null;
    sendPage(ctx, res, { title: 'Settings', nav: 'settings', body: settingsBody(viewer, await ctx.settings.get(viewer.workspace), notice, ctx.networkSupply) });
  });

  router.post('/settings', ...form, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    try {
      const { changed } = await ctx.settings.update(viewer.workspace, viewer.principal, settingsPatchFromForm(req.body ?? {}), { platformAdmin: viewer.key.admin });
      res.redirect(303, `/settings?saved=${changed.length > 0 ? 'yes' : 'none'}`);
    } catch (error) {
      if (!isErrandError(error) || error.code === 'internal') throw error;
      const current = await ctx.settings.get(viewer.workspace);
      sendPage(ctx, res, { title: 'Settings', nav: 'settings', body: settingsBody(viewer, current, { text: error.message, error: true }, ctx.networkSupply) }, error.code === 'forbidden' ? 403 : 400);
    }
  });

  const secretsPage = async (res: Response, viewer: Viewer, repo: string, notice: { text: string; error: boolean } | null, status = 200) => {
    let secrets = null;
    let unavailable: string | null = null;
    if (!ctx.secrets) unavailable = noSecretStore;
    else secrets = await ctx.secrets.list(viewer.principal, scopeOf(viewer, repo), { platformAdmin: viewer.key.admin });
    sendPage(ctx, res, { title: 'Secrets', nav: 'secrets', body: secretsBody(viewer, { secrets, unavailable, repo, notice, now: ctx.clock.now() }) }, status);
  };

  router.get('/secrets', ...page, async (req: Request, res: Response) => {
    const saved = text(req.query['done']);
    const notice = saved === 'set' ? { text: 'Saved. Agents started from now on get it.', error: false } : saved === 'removed' ? { text: 'Removed.', error: false } : null;
    await secretsPage(res, viewerOfRes(res), text(req.query['repo']), notice);
  });

  const secretAction = (action: 'set' | 'remove') => async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    const repo = text(req.body?.['repo']);
    if (!ctx.secrets) return secretsPage(res, viewer, repo, { text: noSecretStore, error: true }, 503);
    try {
      const name = text(req.body?.['name']);
      const authority = { platformAdmin: viewer.key.admin };
      if (action === 'set') {
        const value = typeof req.body?.['value'] === 'string' ? (req.body['value'] as string) : '';
        await ctx.secrets.set(viewer.principal, scopeOf(viewer, repo), name, value, { ...authority, availableToInstall: req.body?.['availableToInstall'] === 'on' });
      } else {
        await ctx.secrets.remove(viewer.principal, scopeOf(viewer, repo), name, authority);
      }
      res.redirect(303, `/secrets?done=${action === 'set' ? 'set' : 'removed'}${repo ? `&repo=${encodeURIComponent(repo)}` : ''}`);
    } catch (error) {
      if (!isErrandError(error) || error.code === 'internal') throw error;
      await secretsPage(res, viewer, repo, { text: error.message, error: true }, error.code === 'forbidden' ? 403 : 400);
    }
  };
  router.post('/secrets', ...form, secretAction('set'));
  router.post('/secrets/remove', ...form, secretAction('remove'));

  router.get('/audit', ...page, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    if (!viewer.admin) {
      sendPage(ctx, res, { title: 'Audit log', nav: 'audit', body: auditForbidden }, 403);
      return;
    }
    const before = text(req.query['before']);
    const limit = 50;
    const entries = await ctx.audit.list(viewer.workspace, { limit, ...(before ? { before } : {}) });
    const next = entries.length === limit ? (entries.at(-1)?.id ?? null) : null;
    sendPage(ctx, res, { title: 'Audit log', nav: 'audit', body: auditBody(viewer.workspace, entries, next, ctx.clock.now()) });
  });

  return router;
}

function scopeOf(viewer: Viewer, repo: string): SecretScope {
  return repo ? { workspace: viewer.workspace, repo } : { workspace: viewer.workspace };
}
