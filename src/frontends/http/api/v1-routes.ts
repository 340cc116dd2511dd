import { Router, type Request, type Response } from 'express';
import { isActive, parseRepoRef, type Agent, type AgentQuery, type LaunchOptions } from '../../../core/index.js';
import type { AgentRun } from '../../../store/redis/index.js';
import type { ApiCaller } from './auth.js';
import { callerOf } from './auth.js';
import { actionableAgent, baseUrlOf, callerIsAdmin, parse, visibleAgent, type ApiContext } from './context.js';
import { refuseIfArchived } from './archived.js';
import { pullRequestLaunch } from './pull-request-launch.js';
import { ApiError, fieldCheck } from './errors.js';
import { presentMe } from './me.js';
import { repositoriesBody } from './repositories.js';
import { outcomeOf, presentRun, presentV1Agent } from './v1-present.js';
import { V1CreateAgentBody, V1CreateRunBody, V1ListAgentsQuery, V1ListRunsQuery } from './v1-schemas.js';
import { eventIdAfter, streamRun } from './v1-stream.js';

/**
 * Cursor's Cloud Agents API v1 on Errand's core: durable agents, each launch and follow-up a run
 * (the unit of status, stream and cancel), archive, models, me and repositories.
 */
export function v1Routes(ctx: ApiContext): Router {
  const router = Router();
  const runsOf = (agent: Agent) => ctx.runs.ensure(agent.id, { prompt: agent.prompt, at: agent.createdAt });
  const present = async (req: Request, agent: Agent) => {
    const [runs, archivedAt] = await Promise.all([runsOf(agent), ctx.runs.archivedAt(agent.id)]);
    return presentV1Agent(agent, runs.at(-1) ?? null, archivedAt, baseUrlOf(ctx, req), ctx.scrubber);
  };

  router.post('/agents', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    const body = parse(V1CreateAgentBody, req.body);
    const repos = body.repos ?? [];
    const primary = repos[0];
    repos.forEach((repo, i) => {
      if (repo.prUrl && (i > 0 || repos.length > 1)) throw new ApiError(400, 'invalid_request', `repos.${i}.prUrl: a pull request launch takes one repository`, `repos.${i}.prUrl`);
      if (repo.url !== undefined) fieldCheck(`repos.${i}.url`, () => parseRepoRef(repo.url!));
    });
    const pull = primary?.prUrl ? await pullRequestLaunch(ctx.pullRequests, primary.prUrl, 'repos.0.prUrl', primary.url) : null;
    if (pull && body.branchName && body.branchName !== pull.branch) {
      throw new ApiError(400, 'invalid_request', `branchName: a pull request launch works on the PR's branch \`${pull.branch}\`; leave branchName out`, 'branchName');
    }
    if (body.model && ctx.models) fieldCheck('model.id', () => ctx.models!.resolve(body.model!.id));
    if (body.agentId) ctx.log.debug({ agentId: body.agentId }, 'v1 launch names its agent id; Errand makes its own');
    const options: LaunchOptions = {
      ...(pull ? { repo: pull.repo, branch: pull.base } : {}),
      ...(!pull && primary?.url ? { repo: primary.url } : {}),
      ...(!pull && primary?.startingRef ? { branch: primary.startingRef } : {}),
      ...(repos.length > 1 ? { repos: repos.map((r) => r.url ?? '') } : {}),
      ...(body.model ? { model: body.model.id } : {}),
      ...(body.autoCreatePR !== undefined ? { autopr: body.autoCreatePR } : {}),
      ...(body.mode ? { mode: body.mode } : {}),
      ...(body.privacy !== undefined ? { privacy: body.privacy } : {}),
    };
    const { agent } = await ctx.agents.launch({
      principal: caller.principal,
      workspace: caller.key.workspace,
      conversation: { kind: 'api' },
      prompt: body.prompt.text,
      options,
      ...(pull ? { branch: pull.branch, context: pull.context } : body.branchName ? { branch: body.branchName } : {}),
      ...(body.envVars ? { envVars: body.envVars } : {}),
      platformAdmin: caller.key.admin,
    });
    const run = await ctx.runs.start(agent.id, { prompt: agent.prompt, at: agent.createdAt, afterEventId: null });
    res.status(201).json({
      agent: presentV1Agent(agent, run, null, baseUrlOf(ctx, req), ctx.scrubber),
      run: presentRun(run, agent, true, ctx.scrubber),
    });
  });

  router.get('/agents', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    const query = parse(V1ListAgentsQuery, req.query, 'query');
    const admin = await callerIsAdmin(ctx, caller);
    const agentQuery: AgentQuery = {
      workspace: caller.key.workspace,
      ...(admin ? {} : { owner: caller.principal }),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      limit: query.limit,
    };
    const page = await ctx.agents.list(agentQuery);
    const archived = await ctx.runs.archivedAtMany(page.agents.map((a) => a.id));
    const base = baseUrlOf(ctx, req);
    const items = [];
    for (const [i, agent] of page.agents.entries()) {
      const archivedAt = archived[i] ?? null;
      if (archivedAt && !query.includeArchived) continue;
      if (query.prUrl && agent.prUrl !== query.prUrl) continue;
      const runs = await runsOf(agent);
      items.push(presentV1Agent(agent, runs.at(-1) ?? null, archivedAt, base, ctx.scrubber));
    }
    res.json({ items, nextCursor: page.nextCursor ?? null });
  });

  router.get('/agents/:id', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    res.json(await present(req, agent));
  });

  router.delete('/agents/:id', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    await ctx.agents.delete(agent.id, caller.principal, caller.key.admin);
    res.json({ id: agent.id });
  });

  router.post('/agents/:id/archive', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    if (!(await ctx.runs.archivedAt(agent.id))) await ctx.runs.archive(agent.id, new Date().toISOString());
    res.json(await present(req, agent));
  });

  router.post('/agents/:id/unarchive', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    await ctx.runs.unarchive(agent.id);
    res.json(await present(req, agent));
  });

  router.post('/agents/:id/runs', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await actionableAgent(ctx, caller, req.params.id);
    const body = parse(V1CreateRunBody, req.body);
    await refuseIfArchived(ctx, agent);
    if (isActive(agent.status)) throw busy(agent);
    await runsOf(agent);
    const afterEventId = await ctx.runs.newestEventId(agent.id);
    const result = await ctx.agents.followUp(agent.id, caller.principal, body.prompt.text, { kind: 'api' }, caller.key.admin, body.mode ? { mode: body.mode } : {});
    // Another run started in between: the prompt went to that run's inbox.
    if (!result.resumed) throw busy(agent, 'your prompt was passed to the run in progress');
    const run = await ctx.runs.start(agent.id, { prompt: body.prompt.text.trim(), at: new Date().toISOString(), afterEventId, previousOutcome: outcomeOf(agent) });
    res.status(201).json({ run: presentRun(run, result.agent, true, ctx.scrubber) });
  });

  router.get('/agents/:id/runs', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    const query = parse(V1ListRunsQuery, req.query, 'query');
    const runs = await runsOf(agent);
    const latestId = runs.at(-1)?.id;
    const newestFirst = [...runs].reverse();
    const start = query.cursor ? newestFirst.findIndex((r) => r.id === query.cursor) + 1 : 0;
    if (query.cursor && start === 0) throw new ApiError(400, 'invalid_request', 'cursor: is not a cursor from a previous page', 'cursor');
    const page = newestFirst.slice(start, start + query.limit);
    const more = start + query.limit < newestFirst.length;
    res.json({ items: page.map((r) => presentRun(r, agent, r.id === latestId, ctx.scrubber)), nextCursor: more ? (page.at(-1)?.id ?? null) : null });
  });

  router.get('/agents/:id/runs/:runId', async (req: Request<{ id: string; runId: string }>, res: Response) => {
    const { agent, run, latest } = await findRun(ctx, callerOf(res), req.params.id, req.params.runId);
    res.json(presentRun(run, agent, latest, ctx.scrubber));
  });

  router.post('/agents/:id/runs/:runId/cancel', async (req: Request<{ id: string; runId: string }>, res: Response) => {
    const caller = callerOf(res);
    const { agent, run, latest } = await findRun(ctx, caller, req.params.id, req.params.runId, 'act');
    if (!latest || run.outcome || !isActive(agent.status)) {
      throw new ApiError(409, 'run_not_cancellable', `run ${run.id} is over (${presentRun(run, agent, latest, ctx.scrubber).status}); only a run in progress can be cancelled`);
    }
    const after = await ctx.agents.stop(agent.id, caller.principal, caller.key.admin);
    res.json(presentRun(run, after, true, ctx.scrubber));
  });

  router.get('/agents/:id/runs/:runId/stream', async (req: Request<{ id: string; runId: string }>, res: Response) => {
    const { agent, run, latest, next } = await findRun(ctx, callerOf(res), req.params.id, req.params.runId);
    const lastEventId = req.get('last-event-id');
    if (lastEventId !== undefined && lastEventId !== '' && !/^\d+-\d+$/.test(lastEventId)) {
      throw new ApiError(400, 'invalid_request', 'Last-Event-ID: not an event id of this stream (they look like 1700000000000-0)', 'Last-Event-ID');
    }
    const until = next?.afterEventId ?? null;
    const over = !latest || !isActive(agent.status);
    if (agent.status === 'expired' || (over && !(await hasEvents(ctx, agent.id, run.afterEventId, latest ? null : until)))) {
      throw new ApiError(410, 'stream_expired', `the events of run ${run.id} are no longer kept (retention or privacy mode); read the run with GET /v1/agents/${agent.id}/runs/${run.id}`);
    }
    const resultText = latest ? async () => (await ctx.agents.get(agent.id))?.summary ?? null : async () => run.outcome?.result ?? null;
    await streamRun(res, ctx, agent, { runId: run.id, after: run.afterEventId, until: latest ? null : until }, { resultText, ...(lastEventId ? { lastEventId } : {}) });
  });

  router.get('/me', (_req: Request, res: Response) => {
    res.json(presentMe(callerOf(res)));
  });

  router.get('/models', (_req: Request, res: Response) => {
    const names = ctx.models?.list() ?? [];
    res.json({ models: names.map((id) => ({ id })) });
  });

  router.get('/repositories', async (_req: Request, res: Response) => {
    res.json(await repositoriesBody(ctx.repositories, ctx.unlistedHosts));
  });

  return router;
}

function busy(agent: Agent, detail = 'wait for it to finish or cancel it'): ApiError {
  return new ApiError(409, 'agent_busy', `agent ${agent.id} has a run in progress: ${detail} (POST /v1/agents/${agent.id}/runs/{runId}/cancel)`);
}

async function findRun(ctx: ApiContext, caller: ApiCaller, agentId: string, runId: string, need: 'see' | 'act' = 'see'): Promise<{ agent: Agent; run: AgentRun; latest: boolean; next: AgentRun | null }> {
  const agent = need === 'act' ? await actionableAgent(ctx, caller, agentId) : await visibleAgent(ctx, caller, agentId);
  const runs = await ctx.runs.ensure(agent.id, { prompt: agent.prompt, at: agent.createdAt });
  const index = runs.findIndex((r) => r.id === runId);
  const run = runs[index];
  if (!run) throw new ApiError(404, 'not_found', `agent ${agent.id} has no run ${runId}`);
  return { agent, run, latest: index === runs.length - 1, next: runs[index + 1] ?? null };
}

/** Whether the event log still holds an event of the range (privacy mode and expiry drop them). */
async function hasEvents(ctx: ApiContext, agentId: string, after: string | null, until: string | null): Promise<boolean> {
  const [first] = await ctx.events.read(agentId, { ...(after ? { after } : {}), limit: 1 });
  if (!first) return false;
  return until === null || !eventIdAfter(first.id, until);
}

