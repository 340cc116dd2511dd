import express, { Router, type Request, type Response } from 'express';
import { ErrandError, isActive, isAgentId, isErrandError, mayFollowUp, samePrincipal, snapshotMachine, terminalAccess, type Agent, type LaunchOptions } from '../../core/index.js';
import { streamEvents } from '../http/api/event-stream.js';
import { checkCsrf, loadViewer, PageError, requireViewer, viewerOfRes, type Viewer } from './auth.js';
import type { DashboardContext } from './context.js';
import { pageHeaders, sendFragment, sendPage } from './respond.js';
import { agentPageBody, agentStatus, type AgentView, type QueueState } from './views/agent-page.js';
import { agentRows, agentsListBody, statusesOfFilter, type ListFilters } from './views/agents-list.js';
import { diffBody } from './views/diff-view.js';
import { knownRepositories } from './known-repos.js';
import { markdownBlock, transcriptVisible } from './views/events.js';
import { newAgentBody, type NewAgentValues } from './views/new-agent.js';
import { ordinal } from './views/parts.js';

const pageSize = 50;

function text(value: unknown): string {
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
}

/**
 * Which agents a viewer sees: the same rule as the API's. Their own, or every agent of their
 * workspace for admins; anything else is "not found", so other people's agent ids reveal nothing.
 */
export function mayView(viewer: Viewer, agent: Agent): boolean {
  return agent.workspace === viewer.workspace && (viewer.admin || samePrincipal(agent.owner, viewer.principal));
}

async function visibleAgent(ctx: DashboardContext, viewer: Viewer, id: string): Promise<Agent> {
  const agent = isAgentId(id) ? await ctx.agents.get(id) : null;
  if (agent && mayView(viewer, agent)) return agent;
  throw new ErrandError('not_found', `No agent ${id}: it may have expired or been deleted, or it is not yours.`);
}

/**
 * An agent the viewer may see and act on: their own (or any, for admins), or a teammate's when the
 * workspace's team follow-ups let them follow up, as a Slack thread does. Others get "not found".
 */
async function actionableAgent(ctx: DashboardContext, viewer: Viewer, id: string): Promise<Agent> {
  const agent = isAgentId(id) ? await ctx.agents.get(id) : null;
  if (agent && (mayView(viewer, agent) || (agent.workspace === viewer.workspace && mayFollowUp(viewer.principal, agent, await ctx.settings.get(agent.workspace), viewer.key.admin)))) {
    return agent;
  }
  throw new ErrandError('not_found', `No agent ${id}: it may have expired or been deleted, or it is not yours.`);
}

async function queueState(ctx: DashboardContext, agent: Agent): Promise<QueueState | null> {
  return agent.status === 'queued' ? ctx.agents.queuePosition(agent) : null;
}

async function agentView(ctx: DashboardContext, agent: Agent): Promise<AgentView> {
  return { agent, events: await ctx.events.read(agent.id), queue: await queueState(ctx, agent), scrubber: ctx.scrubber, now: ctx.clock.now(), githubWebUrl: ctx.githubWebUrl };
}

/** Fixed messages shown after an action; the URL names one, never carries text. */
function noticeOf(query: Request['query']): string | null {
  const position = Number(text(query['position'])) || 1;
  switch (text(query['notice'])) {
    case 'launched':
      return 'Started. This page follows it live.';
    case 'queued-followup':
      return `Sent. The agent reads it before its next step (${ordinal(position)} in its inbox).`;
    case 'resumed':
      return 'Sent. The agent resumes on its branch with your message.';
    case 'stopping':
      return 'Stop requested: the agent finishes its current step, pushes what it has and stops.';
    case 'snapshot-saved':
      return "Saved this agent's machine as the repository's snapshot: new agents for it in this workspace start from it.";
    case 'stopped':
      return 'Stopped.';
    default:
      return null;
  }
}

/** The agents list, one agent's page with its live stream, launching, following up and stopping. */
export function agentRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const page = [pageHeaders, loadViewer(ctx), requireViewer];
  const form = [pageHeaders, express.urlencoded({ extended: false, limit: '256kb' }), loadViewer(ctx), requireViewer, checkCsrf(ctx)];

  const listed = async (req: Request, viewer: Viewer) => {
    const filters: ListFilters = { q: text(req.query['q']).trim(), status: text(req.query['status']), repo: text(req.query['repo']).trim() };
    const status = statusesOfFilter(filters.status);
    const cursor = text(req.query['cursor']);
    const result = await ctx.agents.list({
      workspace: viewer.workspace,
      ...(viewer.admin ? {} : { owner: viewer.principal }),
      ...(status ? { status } : {}),
      ...(filters.repo ? { repo: filters.repo } : {}),
      ...(filters.q ? { text: filters.q } : {}),
      ...(/^\d+(\.\d+)?$/.test(cursor) ? { cursor } : {}),
      limit: pageSize,
    });
    return { filters, result };
  };

  router.get('/', ...page, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    const { filters, result } = await listed(req, viewer);
    const body = agentsListBody(result.agents, filters, {
      scrubber: ctx.scrubber, githubWebUrl: ctx.githubWebUrl, now: ctx.clock.now(), nextCursor: result.nextCursor, pollMs: ctx.pollMs, admin: viewer.admin,
    });
    sendPage(ctx, res, { title: 'Agents', nav: 'agents', body });
  });

  /** The list's rows alone, polled by the page's script; an unchanged list answers 304 (ETag). */
  router.get('/agents/rows', ...page, async (req: Request, res: Response) => {
    const { filters, result } = await listed(req, viewerOfRes(res));
    res.set('cache-control', 'no-cache');
    sendFragment(res, agentRows(result.agents, { scrubber: ctx.scrubber, githubWebUrl: ctx.githubWebUrl, now: ctx.clock.now() }, Boolean(filters.q || filters.status || filters.repo)));
  });

  const newForm = async (viewer: Viewer, values: NewAgentValues, error: string | null) => {
    const settings = await ctx.settings.get(viewer.workspace);
    const repos = await knownRepositories(ctx.agents, viewer, settings, ctx.availableRepositories);
    return newAgentBody(viewer, values, { models: ctx.models?.list() ?? [], repos, defaultModel: settings.defaultModel || (ctx.models?.defaultModel() ?? null), defaultRepo: settings.defaultRepo, error });
  };

  router.get('/agents/new', ...page, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    const values: NewAgentValues = { repo: text(req.query['repo']), branch: '', model: '', mode: 'agent', prompt: '' };
    sendPage(ctx, res, { title: 'New agent', nav: 'new', body: await newForm(viewer, values, null) });
  });

  router.post('/agents', ...form, async (req: Request, res: Response) => {
    const viewer = viewerOfRes(res);
    const values: NewAgentValues = {
      repo: text(req.body?.['repo']).trim(),
      branch: text(req.body?.['branch']).trim(),
      model: text(req.body?.['model']).trim(),
      mode: text(req.body?.['mode']) === 'ask' ? 'ask' : 'agent',
      prompt: text(req.body?.['prompt']),
    };
    try {
      if (values.model && ctx.models) ctx.models.resolve(values.model);
      const options: LaunchOptions = {
        ...(values.repo ? { repo: values.repo } : {}),
        ...(values.branch ? { branch: values.branch } : {}),
        ...(values.model ? { model: values.model } : {}),
        mode: values.mode,
      };
      const { agent } = await ctx.agents.launch({ principal: viewer.principal, workspace: viewer.workspace, conversation: { kind: 'api' }, prompt: values.prompt, options, platformAdmin: viewer.key.admin });
      res.redirect(303, `/agents/${agent.id}?notice=launched`);
    } catch (error) {
      if (!isErrandError(error) || error.code === 'internal') throw error;
      sendPage(ctx, res, { title: 'New agent', nav: 'new', body: await newForm(viewer, values, error.message) }, error.code === 'forbidden' ? 403 : 400);
    }
  });

  router.get('/agents/:id', ...page, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const agent = await actionableAgent(ctx, viewer, req.params.id);
    const terminal = ctx.terminals ? terminalAccess(viewer.principal, viewer.workspace, agent, await ctx.settings.get(agent.workspace), viewer.key.admin) : null;
    const view = { ...(await agentView(ctx, agent)), terminal };
    sendPage(ctx, res, { title: ctx.scrubber.scrub(agent.title), nav: 'agents', body: agentPageBody(view, viewer, noticeOf(req.query)) });
  });

  /** The agent's branch against its base, file by file, as the worker saved it at its last push. */
  router.get('/agents/:id/diff', ...page, async (req: Request<{ id: string }>, res: Response) => {
    const agent = await actionableAgent(ctx, viewerOfRes(res), req.params.id);
    const diff = agent.privacy ? null : await ctx.diffs.load(agent.id);
    sendPage(ctx, res, { title: `Changes: ${ctx.scrubber.scrub(agent.title)}`, nav: 'agents', body: diffBody(agent, diff, (t) => ctx.scrubber.scrub(t), ctx.clock.now()) });
  });

  /** One message or summary rendered from Markdown: the script swaps it in for the live event's plain text. */
  router.get('/agents/:id/rendered/:eventId', ...page, async (req: Request<{ id: string; eventId: string }>, res: Response) => {
    const agent = await actionableAgent(ctx, viewerOfRes(res), req.params.id);
    if (!/^\d+-\d+$/.test(req.params.eventId)) throw new PageError(400, 'Bad request', 'not an event id');
    const events = transcriptVisible(agent) ? await ctx.events.read(agent.id) : [];
    const event = events.find((e) => e.id === req.params.eventId);
    if (!event || (event.type !== 'model_message' && event.type !== 'summary')) throw new PageError(404, 'Not found', 'No such message.');
    sendFragment(res, markdownBlock(ctx.scrubber.scrub(event.text)));
  });

  /** The status panel alone: the page's script swaps it in when the status changes. */
  router.get('/agents/:id/status', ...page, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const agent = await actionableAgent(ctx, viewer, req.params.id);
    sendFragment(res, agentStatus(await agentView(ctx, agent), viewer));
  });

  /** The API's event stream (same code, same scrubbing), authorised by the session cookie. */
  router.get('/agents/:id/events', ...page, async (req: Request<{ id: string }>, res: Response) => {
    const agent = await actionableAgent(ctx, viewerOfRes(res), req.params.id);
    if (!transcriptVisible(agent)) {
      // Privacy mode after the run: nothing to stream. 204 tells EventSource not to reconnect.
      res.status(204).end();
      return;
    }
    const after = req.get('last-event-id') ?? text(req.query['after']);
    if (after && !/^\d+-\d+$/.test(after)) throw new PageError(400, 'Bad request', 'after: not an event id');
    await streamEvents(res, { events: ctx.events, agents: ctx.agents, scrubber: ctx.scrubber, log: ctx.log, heartbeatMs: ctx.heartbeatMs }, agent, {
      ...(after ? { after } : {}),
      follow: 'settled',
    });
  });

  router.post('/agents/:id/follow-up', ...form, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const agent = await actionableAgent(ctx, viewer, req.params.id);
    const result = await ctx.agents.followUp(agent.id, viewer.principal, text(req.body?.['text']), { kind: 'api' }, viewer.key.admin);
    res.redirect(303, `/agents/${agent.id}?notice=${result.resumed ? 'resumed' : `queued-followup&position=${result.position}`}`);
  });

  router.post('/agents/:id/snapshot', ...form, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const agent = await visibleAgent(ctx, viewer, req.params.id);
    await snapshotMachine({ machines: ctx.machines, audit: ctx.audit }, agent, viewer.principal);
    res.redirect(303, `/agents/${agent.id}?notice=snapshot-saved`);
  });

  router.post('/agents/:id/stop', ...form, async (req: Request<{ id: string }>, res: Response) => {
    const viewer = viewerOfRes(res);
    const agent = await actionableAgent(ctx, viewer, req.params.id);
    const after = await ctx.agents.stop(agent.id, viewer.principal, viewer.key.admin);
    res.redirect(303, `/agents/${agent.id}?notice=${isActive(after.status) ? 'stopping' : 'stopped'}`);
  });

  return router;
}
