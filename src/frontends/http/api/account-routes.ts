import { Router, type Request, type Response } from 'express';
import { ErrandError, networkInEffect, networkPolicy, type SecretScope } from '../../../core/index.js';
import { callerOf } from './auth.js';
import { callerIsAdmin, parse, requireAdmin, type ApiContext } from './context.js';
import { presentMe } from './me.js';
import { repositoriesBody } from './repositories.js';
import { AuditQuery, SecretBody } from './schemas.js';

/** `/v0/me`, `/v0/models`, `/v0/repositories`, and the admin routes: settings, secrets (names only), the audit log. */
export function accountRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/me', async (_req: Request, res: Response) => {
    res.json({ ...presentMe(callerOf(res)), admin: await callerIsAdmin(ctx, callerOf(res)) });
  });

  router.get('/repositories', async (_req: Request, res: Response) => {
    res.json(await repositoriesBody(ctx.repositories, ctx.unlistedHosts));
  });

  router.get('/models', (_req: Request, res: Response) => {
    res.json({ models: ctx.models?.list() ?? [], default: ctx.models?.defaultModel() ?? null });
  });

  router.get('/settings', async (_req: Request, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'read settings');
    const settings = await ctx.settings.get(caller.key.workspace);
    res.json({ workspace: caller.key.workspace, settings, networkInEffect: networkInEffect(ctx.networkSupply, networkPolicy(settings)) });
  });

  router.patch('/settings', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'change settings');
    const { settings, changed } = await ctx.settings.update(caller.key.workspace, caller.principal, req.body, { platformAdmin: caller.key.admin });
    res.json({ workspace: caller.key.workspace, settings, changed, networkInEffect: networkInEffect(ctx.networkSupply, networkPolicy(settings)) });
  });

  const secretsOf = () => {
    if (!ctx.secrets) throw new ErrandError('not_configured', 'this server has no secret store: set ERRAND_MASTER_KEY (`openssl rand -base64 32`) and restart');
    return ctx.secrets;
  };
  const scopeOf = (workspace: string, repo: unknown): SecretScope => (typeof repo === 'string' && repo.trim() ? { workspace, repo } : { workspace });

  router.get('/secrets', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'list secrets');
    const secrets = await secretsOf().list(caller.principal, scopeOf(caller.key.workspace, req.query['repo']), { platformAdmin: true });
    res.json({ secrets });
  });

  router.get('/secrets/:name', async (req: Request<{ name: string }>, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'read secrets');
    const secrets = await secretsOf().list(caller.principal, scopeOf(caller.key.workspace, req.query['repo']), { platformAdmin: true });
    const secret = secrets.find((s) => s.name === req.params.name);
    if (!secret) throw new ErrandError('not_found', `no secret ${req.params.name}`);
    res.json(secret);
  });

  router.put('/secrets/:name', async (req: Request<{ name: string }>, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'set secrets');
    const body = parse(SecretBody, req.body);
    const scope = scopeOf(caller.key.workspace, body.repo);
    await secretsOf().set(caller.principal, scope, req.params.name, body.value, { platformAdmin: true, availableToInstall: body.availableToInstall ?? false });
    const secret = (await secretsOf().list(caller.principal, scope, { platformAdmin: true })).find((s) => s.name === req.params.name);
    res.json(secret ?? { name: req.params.name });
  });

  router.delete('/secrets/:name', async (req: Request<{ name: string }>, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'remove secrets');
    const removed = await secretsOf().remove(caller.principal, scopeOf(caller.key.workspace, req.query['repo']), req.params.name, { platformAdmin: true });
    if (!removed) throw new ErrandError('not_found', `no secret ${req.params.name}`);
    res.json({ name: req.params.name, removed });
  });

  router.get('/audit', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    await requireAdmin(ctx, caller, 'read the audit log');
    const query = parse(AuditQuery, req.query, 'query');
    const entries = await ctx.audit.list(caller.key.workspace, { limit: query.limit, ...(query.before ? { before: query.before } : {}) });
    const last = entries.at(-1);
    res.json({ entries, ...(entries.length === query.limit && last ? { nextCursor: last.id } : {}) });
  });

  return router;
}
