import express, { Router, type Request, type Response } from 'express';
import { ErrandError, isAgentId, terminalAccess, type Agent, type TerminalAccess } from '../../core/index.js';
import { sessionHash } from '../../store/redis/terminal-tickets.js';
import { checkCsrf, loadViewer, PageError, requireViewer, viewerOfRes, type Viewer } from './auth.js';
import type { DashboardContext } from './context.js';
import { pageHeaders, sendPage } from './respond.js';
import { terminalExpiredBody, terminalPageBody } from './views/terminal-page.js';

/**
 * The agent and what the viewer may do in its machine. No such agent (or another workspace's):
 * "not found", as everywhere; an agent of their workspace they have no rights on: 403.
 */
export async function terminalTarget(ctx: DashboardContext, viewer: Viewer, id: string): Promise<{ agent: Agent; access: TerminalAccess }> {
  const agent = isAgentId(id) ? await ctx.agents.get(id) : null;
  if (!agent || agent.workspace !== viewer.workspace) throw new ErrandError('not_found', `No agent ${id}: it may have expired or been deleted, or it is not yours.`);
  const access = terminalAccess(viewer.principal, viewer.workspace, agent, await ctx.settings.get(agent.workspace), viewer.key.admin);
  if (!access) throw new PageError(403, 'Not allowed', `Only ${agent.owner.name} (who started this agent), admins and teammates whom this workspace lets follow up can open its terminal.`);
  return { agent, access };
}

/** The web terminal page, and the one-time tickets its script presents when it connects. */
export function terminalRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const page = [pageHeaders, loadViewer(ctx), requireViewer];
  const form = [pageHeaders, express.urlencoded({ extended: false, limit: '1kb' }), loadViewer(ctx), requireViewer, checkCsrf(ctx)];

  router.get('/agents/:id/terminal', ...page, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const { agent, access } = await terminalTarget(ctx, viewer, req.params.id);
    if (agent.status === 'expired') {
      sendPage(ctx, res, { title: 'Terminal', nav: 'agents', body: terminalExpiredBody(agent, ctx.scrubber) }, 410);
      return;
    }
    if (!ctx.terminals) throw new PageError(503, 'No terminal here', "This Errand server cannot reach the Docker engine that runs agents (DOCKER_HOST), so it cannot open their machines. Use `errand attach` on a worker host, or give the web role the Docker endpoint.");
    // xterm.js adds a <style> element for its theme and sizes: this page alone allows inline styles (never scripts).
    res.set('content-security-policy', String(res.get('content-security-policy')).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
    sendPage(ctx, res, { title: `Terminal · ${ctx.scrubber.scrub(agent.title)}`, nav: 'agents', body: terminalPageBody(agent, access, viewer, ctx.scrubber), extra: ctx.assets.terminal });
  });

  /** A ticket for one WebSocket connection: single use, short-lived, bound to this session and agent. */
  router.post('/agents/:id/terminal/tickets', ...form, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const { agent, access } = await terminalTarget(ctx, viewer, req.params.id);
    if (agent.status === 'expired') throw new PageError(410, 'Expired', 'This agent expired: its machine is gone.');
    const ticket = await ctx.terminalTickets.issue({ agentId: agent.id, keyId: viewer.key.id, sessionHash: sessionHash(viewer.sessionId) });
    res.json({ ticket, mode: access });
  });

  return router;
}
