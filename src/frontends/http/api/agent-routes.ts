import { Router, type Request, type Response } from 'express';
import { isArtifactName, parseRepoRef, snapshotMachine, type AgentQuery, type AgentStatus, type LaunchOptions } from '../../../core/index.js';
import { refuseIfArchived } from './archived.js';
import { pullRequestLaunch } from './pull-request-launch.js';
import { callerOf } from './auth.js';
import { actionableAgent, baseUrlOf, callerIsAdmin, parse, visibleAgent, type ApiContext } from './context.js';
import { ApiError, fieldCheck } from './errors.js';
import { streamEvents, type FollowMode } from './event-stream.js';
import { conversationOf, presentAgent, statusesFor, stepsOf } from './present.js';
import { FollowUpBody, LaunchBody, ListQuery } from './schemas.js';
import { webhookUrlProblem } from './webhook-url.js';

/** `/v0/agents…`: launch, list, read, follow up, stop, delete, and the live event stream. */
export function agentRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.post('/agents', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    const body = parse(LaunchBody, req.body);
    warnUnknown(ctx, body, ['prompt', 'source', 'model', 'target', 'webhook', 'mode', 'privacy', 'envVars', 'repos']);
    const pull = body.source?.prUrl ? await pullRequestLaunch(ctx.pullRequests, body.source.prUrl, 'source.prUrl', body.source.repository) : null;
    if (pull && body.repos) throw new ApiError(400, 'invalid_request', 'repos: a pull request launch takes one repository (source.prUrl)', 'repos');
    if (pull && body.target?.branchName && body.target.branchName !== pull.branch) {
      throw new ApiError(400, 'invalid_request', `target.branchName: a pull request launch works on the PR's branch \`${pull.branch}\`; leave branchName out`, 'target.branchName');
    }
    const repository = pull?.repo ?? body.source?.repository;
    if (repository) fieldCheck('source.repository', () => parseRepoRef(repository));
    if (repository && body.repos) throw new ApiError(400, 'invalid_request', 'repos: give either source.repository or repos, not both', 'repos');
    body.repos?.forEach((repo, i) => fieldCheck(`repos[${i}]`, () => parseRepoRef(repo)));
    if (body.model && ctx.models) fieldCheck('model', () => ctx.models!.resolve(body.model!));
    const webhook = body.webhook;
    if (webhook) {
      const problem = webhookUrlProblem(webhook.url, ctx.webhookUrlPolicy);
      if (problem) throw new ApiError(400, 'invalid_request', `webhook.url ${problem}`, 'webhook.url');
      if (webhook.secret) await ctx.webhookSecrets.assertAvailable();
    }
    const options: LaunchOptions = {
      ...(repository ? { repo: repository } : {}),
      ...(pull ? { branch: pull.base } : body.source?.ref ? { branch: body.source.ref } : {}),
      ...(body.model ? { model: body.model } : {}),
      ...(body.target?.autoCreatePr !== undefined ? { autopr: body.target.autoCreatePr } : {}),
      ...(body.mode ? { mode: body.mode } : {}),
      ...(body.privacy !== undefined ? { privacy: body.privacy } : {}),
      ...(body.repos ? { repos: body.repos } : {}),
    };
    const { agent, queuedBehind } = await ctx.agents.launch({
      principal: caller.principal,
      workspace: caller.key.workspace,
      conversation: { kind: 'api', ...(webhook ? { webhookUrl: webhook.url } : {}) },
      prompt: body.prompt.text,
      options,
      ...(pull ? { branch: pull.branch, context: pull.context } : body.target?.branchName ? { branch: body.target.branchName } : {}),
      platformAdmin: caller.key.admin,
      ...(body.envVars ? { envVars: body.envVars } : {}),
    });
    if (webhook?.secret) await ctx.webhookSecrets.set(agent, webhook.secret);
    res.status(201).json({ ...presentAgent(agent, baseUrlOf(ctx, req), ctx.scrubber), queuedBehind });
  });

  router.get('/agents', async (req: Request, res: Response) => {
    const caller = callerOf(res);
    const query = parse(ListQuery, req.query, 'query');
    let status: AgentStatus[] | undefined;
    if (query.status) {
      status = query.status.split(',').flatMap((name) => {
        const found = statusesFor(name);
        if (!found) throw new ApiError(400, 'invalid_request', `status: unknown status \`${name}\`; use CREATING, RUNNING, FINISHED, ERROR, STOPPED, EXPIRED`, 'status');
        return found;
      });
    }
    const admin = await callerIsAdmin(ctx, caller);
    const agentQuery: AgentQuery = {
      workspace: caller.key.workspace,
      ...(admin ? {} : { owner: caller.principal }),
      ...(status ? { status } : {}),
      ...(query.repo ? { repo: query.repo } : {}),
      ...(query.q ? { text: query.q } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      limit: query.limit,
    };
    const page = await ctx.agents.list(agentQuery);
    const base = baseUrlOf(ctx, req);
    // Archived agents (v1's archive) are left out unless asked for, as in v1; filtered per page.
    const archived = query.includeArchived ? [] : await ctx.runs.archivedAtMany(page.agents.map((a) => a.id));
    const shown = page.agents.filter((_, i) => !archived[i]);
    res.json({ agents: shown.map((a) => presentAgent(a, base, ctx.scrubber)), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

  router.get('/agents/:id', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    res.json(presentAgent(agent, baseUrlOf(ctx, req), ctx.scrubber));
  });

  router.get('/agents/:id/conversation', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    const events = await ctx.events.read(agent.id);
    res.json({ id: agent.id, messages: conversationOf(agent, events, ctx.scrubber), steps: stepsOf(events, ctx.scrubber) });
  });

  router.get('/agents/:id/events', async (req: Request<{ id: string }>, res: Response) => {
    const agent = await visibleAgent(ctx, callerOf(res), req.params.id);
    const afterText = req.get('last-event-id') ?? (typeof req.query['after'] === 'string' ? req.query['after'] : undefined);
    if (afterText !== undefined && afterText !== '' && !/^\d+-\d+$/.test(afterText)) {
      throw new ApiError(400, 'invalid_request', 'after: not an event id (they look like 1700000000000-0)', 'after');
    }
    const followText = typeof req.query['follow'] === 'string' ? req.query['follow'] : 'settled';
    if (!['settled', 'always', 'never'].includes(followText)) {
      throw new ApiError(400, 'invalid_request', 'follow: use settled (the default), always or never', 'follow');
    }
    await streamEvents(res, { ...ctx, heartbeatMs: ctx.heartbeatMs }, agent, { ...(afterText ? { after: afterText } : {}), follow: followText as FollowMode });
  });

  router.post('/agents/:id/followup', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await actionableAgent(ctx, caller, req.params.id);
    const body = parse(FollowUpBody, req.body);
    await refuseIfArchived(ctx, agent);
    const result = await ctx.agents.followUp(agent.id, caller.principal, body.prompt.text, { kind: 'api' }, caller.key.admin, body.mode ? { mode: body.mode } : {});
    res.json({ id: agent.id, resumed: result.resumed, position: result.position, status: presentAgent(result.agent, baseUrlOf(ctx, req), ctx.scrubber).status });
  });

  router.post('/agents/:id/stop', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await actionableAgent(ctx, caller, req.params.id);
    const after = await ctx.agents.stop(agent.id, caller.principal, caller.key.admin);
    res.json({ id: agent.id, status: presentAgent(after, baseUrlOf(ctx, req), ctx.scrubber).status });
  });

  /** What the agent left under `artifacts/`, each with a short-lived signed download link. */
  router.get('/agents/:id/artifacts', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    const artifacts = await ctx.agents.listArtifacts(caller.principal, agent.id, await callerIsAdmin(ctx, caller));
    const base = baseUrlOf(ctx, req);
    const listed = await Promise.all(
      artifacts.map(async (artifact) => {
        const { expires, signature } = await ctx.artifactUrls.query(agent.id, artifact.name);
        const path = artifact.name.split('/').map(encodeURIComponent).join('/');
        return { ...artifact, url: `${base}/v0/agents/${agent.id}/artifacts/${path}?expires=${expires}&signature=${signature}`, expiresAt: new Date(expires * 1000).toISOString() };
      }),
    );
    res.json({ id: agent.id, artifacts: listed });
  });

  /** Saves the agent's machine as its repository's snapshot in this workspace (owner or admin). */
  router.post('/agents/:id/snapshot', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    const { imageId, repo } = await snapshotMachine({ machines: ctx.machines, audit: ctx.audit }, agent, caller.principal);
    res.json({ id: agent.id, repository: repo, snapshot: imageId.replace(/^sha256:/, '').slice(0, 12) });
  });

  router.delete('/agents/:id', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    // Forgets everything of the agent (webhook secret included): see Forgetter.
    await ctx.agents.delete(agent.id, caller.principal, caller.key.admin);
    res.json({ id: agent.id });
  });

  return router;
}

/**
 * `GET /v0/agents/:id/artifacts/<path>?expires=…&signature=…`: the file, for whoever holds an
 * unexpired signed link (no API key: links are handed to browsers and tools). Mounted before the
 * key check; a request without a signature falls through to it.
 */
export function artifactDownloadRoutes(ctx: Pick<ApiContext, 'artifactUrls' | 'artifactStore' | 'log'>, shape: 'v0' | 'v1' = 'v0'): Router {
  const router = Router();
  const refuse = (res: Response, status: number, code: string, message: string) => {
    res.status(status).json(shape === 'v1' ? { code, message, error: { code, message } } : { error: { code, message } });
  };
  router.get('/agents/:id/artifacts/*path', async (req: Request<{ id: string; path: string[] }>, res: Response, next) => {
    if (req.query['signature'] === undefined) return next();
    const name = req.params.path.join('/');
    try {
      const valid = isArtifactName(name) && (await ctx.artifactUrls.verify(req.params.id, name, req.query['expires'], req.query['signature']));
      if (!valid) {
        refuse(res, 403, 'forbidden', 'this download link is invalid or has expired: list the artifacts again for a fresh one');
        return;
      }
      const file = await ctx.artifactStore.read(req.params.id, name);
      if (!file) {
        refuse(res, 404, 'not_found', 'no such artifact (the agent may have been deleted)');
        return;
      }
      res.set({
        'content-type': 'application/octet-stream',
        'content-length': String(file.content.length),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name.split('/').pop() ?? 'artifact')}`,
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(file.content);
    } catch (error) {
      ctx.log.warn({ err: error }, 'artifact download failed');
      refuse(res, 500, 'internal', 'the artifact could not be read');
    }
  });
  return router;
}


function warnUnknown(ctx: ApiContext, body: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) ctx.log.debug({ fields: unknown }, 'launch request has fields Errand does not use');
}
