import { z } from 'zod';
import { FakeGitHub } from '../support/fake-github.js';
import { GitHubHost } from '../../src/git/github-host.js';
import { apiHarness, readSse, silent, type ApiHarness } from './harness.js';

// The published v1 shapes (Cursor's Cloud Agents API v1 as docs/api.md records it), field by field.
// `.strict()` where the documented object is complete; Errand's extensions are listed where it adds them.
const RunStatus = z.enum(['CREATING', 'RUNNING', 'FINISHED', 'ERROR', 'CANCELLED', 'EXPIRED']);
const Agent = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    status: z.enum(['ACTIVE', 'ARCHIVED']),
    url: z.url(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    latestRunId: z.string().nullable(),
    repos: z.array(z.object({ url: z.string(), startingRef: z.string().nullable() }).strict()),
    branchName: z.string(),
    prUrl: z.string().nullable(),
    autoCreatePR: z.boolean(),
    model: z.object({ id: z.string() }).strict(),
    mode: z.enum(['agent', 'ask', 'plan']),
    archivedAt: z.iso.datetime().nullable(),
    // Errand's extensions.
    errandStatus: z.string(),
    summary: z.string().nullable(),
  })
  .strict();
const Run = z
  .object({
    id: z.string().regex(/^run-/),
    agentId: z.string(),
    status: RunStatus,
    prompt: z.object({ text: z.string() }).strict(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    durationMs: z.number().int().nonnegative().nullable(),
    result: z.string().nullable(),
    git: z.object({ branches: z.array(z.object({ repoUrl: z.string().nullable(), branch: z.string(), prUrl: z.string().nullable() }).strict()) }).strict(),
    error: z.object({ code: z.string(), message: z.string() }).strict().nullable(),
  })
  .strict();
const CreateAgentResponse = z.object({ agent: Agent, run: Run }).strict();
const AgentList = z.object({ items: z.array(Agent), nextCursor: z.string().nullable() }).strict();
const RunList = z.object({ items: z.array(Run), nextCursor: z.string().nullable() }).strict();
const ErrorDetail = z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).strict();
/** v1 errors: `code` and `message` at the top level (as Cursor's v1 clients read them), and v0's `error` object. */
const ErrorBody = z.object({ code: z.string(), message: z.string(), error: ErrorDetail }).strict();
const V0ErrorBody = z.object({ error: ErrorDetail }).strict();
const Me = z.object({ apiKeyName: z.string(), createdAt: z.iso.datetime(), userEmail: z.string().nullable(), keyId: z.string(), workspace: z.string(), user: z.object({ id: z.string(), name: z.string() }) }).strict();
const Models = z.object({ models: z.array(z.object({ id: z.string() }).strict()) }).strict();
const Repositories = z.object({ repositories: z.array(z.object({ owner: z.string(), name: z.string(), repository: z.string() }).strict()) }).strict();

/** The request body of Cursor's "Create An Agent" example, pointed at a repository Errand serves. */
const exampleBody = {
  prompt: { text: 'Add a README.md file with installation instructions' },
  model: { id: 'openai:test-large' },
  repos: [{ url: 'acme/web', startingRef: 'main' }],
};

function basic(key: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
}

describe('HTTP API v1: agents and runs', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ heartbeatMs: 40 });
  });
  afterAll(async () => {
    await h.close();
  });

  async function create(body: Record<string, unknown> = exampleBody, key = h.keys.alice) {
    const reply = await h.call('POST', '/v1/agents', { key: null, headers: basic(key), body });
    expect(reply.status).toBe(201);
    return CreateAgentResponse.parse(reply.json);
  }

  it('creates an agent and its first run from the documented example body, with Basic auth', async () => {
    const { agent, run } = await create();
    expect(agent).toMatchObject({ status: 'ACTIVE', latestRunId: run.id, repos: [{ url: 'acme/web', startingRef: 'main' }], model: { id: 'openai:test-large' }, mode: 'agent' });
    expect(run).toMatchObject({ agentId: agent.id, status: 'CREATING', prompt: { text: exampleBody.prompt.text }, finishedAt: null, result: null });
    const got = await h.call('GET', `/v1/agents/${agent.id}`);
    expect(Agent.parse(got.json)).toEqual({ ...agent, updatedAt: expect.any(String) });
    const bearer = await h.call('GET', `/v1/agents/${agent.id}/runs/${run.id}`);
    expect(Run.parse(bearer.json).id).toBe(run.id);
  });

  it('refuses a bad body or key with the documented error body', async () => {
    const bad = await h.call('POST', '/v1/agents', { body: { prompt: {} } });
    expect(bad.status).toBe(400);
    expect(ErrorBody.parse(bad.json).error).toMatchObject({ code: 'invalid_request', field: 'prompt.text' });
    const tooMany = await h.call('POST', '/v1/agents', { body: { ...exampleBody, repos: Array.from({ length: 21 }, (_, i) => ({ url: `acme/r${i}` })) } });
    expect(tooMany.status).toBe(400);
    const reserved = await h.call('POST', '/v1/agents', { body: { ...exampleBody, envVars: { ERRAND_TOKEN: 'x' } } });
    expect(reserved.status).toBe(400);
    expect(reserved.json.error?.field).toBe('envVars.ERRAND_TOKEN');
    const anonymous = await h.call('GET', '/v1/agents', { key: null });
    expect(anonymous.status).toBe(401);
    expect(ErrorBody.parse(anonymous.json).code).toBe('unauthorized');
    expect(V0ErrorBody.parse((await h.call('GET', '/v0/agents', { key: null })).json).error.code).toBe('unauthorized');
    const unknown = await h.call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(ErrorBody.parse(unknown.json).code).toBe('not_found');
    const missing = await h.call('GET', '/v1/agents/nope');
    expect(missing.status).toBe(404);
    ErrorBody.parse(missing.json);
  });

  it('lists agents newest first, page by page with the cursor', async () => {
    const key = (await h.api.keys.create({ name: 'lister' })).key;
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await create({ ...exampleBody, prompt: { text: `task ${i}` } }, key)).agent.id);
    const first = AgentList.parse((await h.call('GET', '/v1/agents?limit=2', { key })).json);
    expect(first.items.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).not.toBeNull();
    const second = AgentList.parse((await h.call('GET', `/v1/agents?limit=2&cursor=${first.nextCursor}`, { key })).json);
    expect(second.items.map((a) => a.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('makes each follow-up a run: agent_busy while one is active, a new run once it is over', async () => {
    const { agent, run } = await create();
    const busy = await h.call('POST', `/v1/agents/${agent.id}/runs`, { body: { prompt: { text: 'also add a license' } } });
    expect(busy.status).toBe(409);
    expect(ErrorBody.parse(busy.json).error.code).toBe('agent_busy');
    await h.drive(agent.id, 'preparing', 'running', { type: 'summary', text: 'Added the README.', branch: 'errand/readme', prUrl: null, diffstat: null });
    await h.agents.transition(agent.id, 'finished', { patch: { summary: 'Added the README.' } });
    const finished = Run.parse((await h.call('GET', `/v1/agents/${agent.id}/runs/${run.id}`)).json);
    expect(finished).toMatchObject({ status: 'FINISHED', result: 'Added the README.' });
    expect(finished.durationMs).not.toBeNull();

    const second = await h.call('POST', `/v1/agents/${agent.id}/runs`, { body: { prompt: { text: 'also add a license' } } });
    expect(second.status).toBe(201);
    const next = z.object({ run: Run }).strict().parse(second.json).run;
    expect(next).toMatchObject({ status: 'CREATING', prompt: { text: 'also add a license' } });
    const runs = RunList.parse((await h.call('GET', `/v1/agents/${agent.id}/runs`)).json);
    expect(runs.items.map((r) => [r.id, r.status])).toEqual([
      [next.id, 'CREATING'],
      [run.id, 'FINISHED'],
    ]);
    expect(runs.items[1]!.result).toBe('Added the README.');
    const paged = RunList.parse((await h.call('GET', `/v1/agents/${agent.id}/runs?limit=1`)).json);
    expect(paged.items.map((r) => r.id)).toEqual([next.id]);
    expect(paged.nextCursor).toBe(next.id);
    expect(Agent.parse((await h.call('GET', `/v1/agents/${agent.id}`)).json).latestRunId).toBe(next.id);
  });

  it('streams a run as typed events, resumes after Last-Event-ID and ends with done', async () => {
    const { agent, run } = await create();
    const url = `${h.url}/v1/agents/${agent.id}/runs/${run.id}/stream`;
    const live = fetch(url, { headers: basic(h.keys.alice) }).then((r) => readSse(r, (events) => events.some((e) => e.event === 'done')));
    // The stream follows the run live: heartbeats come while it waits.
    await h.drive(
      agent.id,
      'preparing',
      'running',
      { type: 'model_message', text: 'Reading the repository first.' },
      { type: 'tool_call', callId: 'c1', name: 'read_file', args: '{"path":"package.json"}' },
      { type: 'tool_result', callId: 'c1', name: 'read_file', ok: true, output: '{}' },
      { type: 'log', phase: 'agent', stream: 'stdout', text: 'not a v1 event' },
      { type: 'summary', text: 'Added the README.', branch: agent.branchName, prUrl: null, diffstat: null },
      'finished',
    );
    const { events, raw } = await live;
    const typed = events.filter((e) => e.event !== 'heartbeat');
    expect(typed.map((e) => e.event)).toEqual(['status', 'status', 'status', 'assistant', 'tool_call', 'tool_call', 'result', 'status', 'done']);
    expect(typed.map((e) => e.data['status']).filter(Boolean)).toEqual(['CREATING', 'CREATING', 'RUNNING', 'started', 'completed', 'FINISHED', 'FINISHED']);
    expect(typed.find((e) => e.event === 'assistant')?.data).toMatchObject({ runId: run.id, text: 'Reading the repository first.' });
    expect(typed[4]!.data).toMatchObject({ callId: 'c1', name: 'read_file', status: 'started', args: { path: 'package.json' } });
    expect(typed[5]!.data).toMatchObject({ callId: 'c1', status: 'completed', result: { success: '{}' } });
    expect(typed[6]!.data).toMatchObject({ runId: run.id, text: 'Added the README.' });
    expect(typed.every((e) => e.event === 'done' || /^\d+-\d+$/.test(e.id ?? ''))).toBe(true);
    expect(raw).not.toContain('not a v1 event');

    const resumeAfter = typed[3]!.id!;
    const resumed = await readSse(await fetch(url, { headers: { ...basic(h.keys.alice), 'last-event-id': resumeAfter } }));
    expect(resumed.ended).toBe(true);
    expect(resumed.events.filter((e) => e.event !== 'heartbeat').map((e) => e.event)).toEqual(['tool_call', 'tool_call', 'result', 'status', 'done']);
    const afterResult = await readSse(await fetch(url, { headers: { ...basic(h.keys.alice), 'last-event-id': typed[6]!.id! } }));
    expect(afterResult.events.filter((e) => e.event !== 'heartbeat').map((e) => e.event)).toEqual(['status', 'done']);
  });

  it('sends heartbeat events while a run is quiet', async () => {
    const { agent, run } = await create();
    const response = await fetch(`${h.url}/v1/agents/${agent.id}/runs/${run.id}/stream`, { headers: basic(h.keys.alice) });
    const { events } = await readSse(response, (seen) => seen.filter((e) => e.event === 'heartbeat').length >= 2);
    expect(events.filter((e) => e.event === 'heartbeat')[0]?.data).toEqual({ runId: run.id });
  });

  it('keeps each run to its own events: an earlier run ends where the next began', async () => {
    const { agent, run } = await create();
    await h.drive(agent.id, 'preparing', 'running', { type: 'model_message', text: 'first run' }, 'finished');
    const second = z.object({ run: Run }).parse((await h.call('POST', `/v1/agents/${agent.id}/runs`, { body: { prompt: { text: 'again' } } })).json).run;
    await h.drive(agent.id, 'preparing', 'running', { type: 'model_message', text: 'second run' }, 'finished');
    const one = await readSse(await fetch(`${h.url}/v1/agents/${agent.id}/runs/${run.id}/stream`, { headers: basic(h.keys.alice) }));
    const two = await readSse(await fetch(`${h.url}/v1/agents/${agent.id}/runs/${second.id}/stream`, { headers: basic(h.keys.alice) }));
    const texts = (r: typeof one) => r.events.filter((e) => e.event === 'assistant').map((e) => e.data['text']);
    expect(texts(one)).toEqual(['first run']);
    expect(texts(two)).toEqual(['second run']);
    expect(one.events.at(-1)).toMatchObject({ event: 'done', data: { runId: run.id, status: 'FINISHED' } });
    // A run without a summary still ends with a result (without an id: it is not in the event log).
    expect(one.events.at(-2)).toEqual({ event: 'result', data: { runId: run.id, status: 'FINISHED', text: null } });
    expect(two.events.at(-1)).toMatchObject({ event: 'done', data: { runId: second.id, status: 'FINISHED' } });
  });

  it('takes `mode` on a run: a plan run, then a run in agent mode that carries it out', async () => {
    const { agent } = await create({ ...exampleBody, mode: 'plan' });
    expect(agent.mode).toBe('plan');
    await h.drive(agent.id, 'preparing', 'running', { type: 'model_message', text: 'The plan.' }, 'finished');
    const refused = await h.call('POST', `/v1/agents/${agent.id}/runs`, { body: { prompt: { text: 'go' }, mode: 'yolo' } });
    expect(refused.status).toBe(400);
    const ran = await h.call('POST', `/v1/agents/${agent.id}/runs`, { body: { prompt: { text: 'go ahead' }, mode: 'agent' } });
    expect(ran.status).toBe(201);
    expect(Agent.parse((await h.call('GET', `/v1/agents/${agent.id}`)).json).mode).toBe('agent');
  });

  it('answers stream_expired (410) once the events are gone', async () => {
    const { agent, run } = await create();
    await h.drive(agent.id, 'preparing', 'running', 'finished');
    await h.stores.events.clear(agent.id);
    const gone = await h.call('GET', `/v1/agents/${agent.id}/runs/${run.id}/stream`);
    expect(gone.status).toBe(410);
    expect(ErrorBody.parse(gone.json).error.code).toBe('stream_expired');
  });

  it('cancels the run in progress, and refuses a run that is over with run_not_cancellable', async () => {
    const { agent, run } = await create();
    const cancelled = await h.call('POST', `/v1/agents/${agent.id}/runs/${run.id}/cancel`, { key: null, headers: basic(h.keys.alice) });
    expect(cancelled.status).toBe(200);
    expect(Run.parse(cancelled.json).status).toBe('CANCELLED');
    const again = await h.call('POST', `/v1/agents/${agent.id}/runs/${run.id}/cancel`);
    expect(again.status).toBe(409);
    expect(ErrorBody.parse(again.json).error.code).toBe('run_not_cancellable');
  });

  it('cancels a running run: with no live worker holding it, the core stops it at once', async () => {
    const { agent, run } = await create();
    await h.drive(agent.id, 'preparing', 'running');
    const reply = await h.call('POST', `/v1/agents/${agent.id}/runs/${run.id}/cancel`);
    expect(reply.status).toBe(200);
    expect(Run.parse(reply.json).status).toBe('CANCELLED');
    expect((await h.agents.require(agent.id)).status).toBe('stopped');
    expect(Run.parse((await h.call('GET', `/v1/agents/${agent.id}/runs/${run.id}`)).json).status).toBe('CANCELLED');
  });

  it('archives an agent: hidden from the default list, no new runs, until unarchived', async () => {
    const key = (await h.api.keys.create({ name: 'archiver' })).key;
    const { agent } = await create(exampleBody, key);
    await h.drive(agent.id, 'preparing', 'running', 'finished');
    const archived = await h.call('POST', `/v1/agents/${agent.id}/archive`, { key });
    expect(archived.status).toBe(200);
    expect(Agent.parse(archived.json)).toMatchObject({ status: 'ARCHIVED', archivedAt: expect.any(String) });
    expect(AgentList.parse((await h.call('GET', '/v1/agents', { key })).json).items).toEqual([]);
    expect(AgentList.parse((await h.call('GET', '/v1/agents?includeArchived=true', { key })).json).items.map((a) => a.id)).toEqual([agent.id]);
    const refused = await h.call('POST', `/v1/agents/${agent.id}/runs`, { key, body: { prompt: { text: 'more' } } });
    expect(refused.status).toBe(409);
    expect(ErrorBody.parse(refused.json).error.code).toBe('agent_archived');
    const back = await h.call('POST', `/v1/agents/${agent.id}/unarchive`, { key });
    expect(Agent.parse(back.json)).toMatchObject({ status: 'ACTIVE', archivedAt: null });
    expect((await h.call('POST', `/v1/agents/${agent.id}/runs`, { key, body: { prompt: { text: 'more' } } })).status).toBe(201);
  });

  it('shows an agent launched through v0 (or Slack, GitHub) with its launch as run 1', async () => {
    const id = await h.launch(h.keys.alice);
    const agent = Agent.parse((await h.call('GET', `/v1/agents/${id}`)).json);
    expect(agent.latestRunId).toBe(`run-1-${id}`);
    const runs = RunList.parse((await h.call('GET', `/v1/agents/${id}/runs`)).json);
    expect(runs.items).toMatchObject([{ id: `run-1-${id}`, status: 'CREATING', prompt: { text: 'fix the flaky login test' } }]);
    await h.drive(id, 'preparing', 'running', 'finished');
    const next = z.object({ run: Run }).parse((await h.call('POST', `/v1/agents/${id}/runs`, { body: { prompt: { text: 'and the docs' } } })).json).run;
    const after = RunList.parse((await h.call('GET', `/v1/agents/${id}/runs`)).json);
    expect(after.items.map((r) => [r.id, r.status])).toEqual([
      [next.id, 'CREATING'],
      [`run-1-${id}`, 'FINISHED'],
    ]);
  });

  it('deletes an agent with everything it has, runs included', async () => {
    const { agent } = await create();
    const deleted = await h.call('DELETE', `/v1/agents/${agent.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ id: agent.id });
    expect((await h.call('GET', `/v1/agents/${agent.id}`)).status).toBe(404);
    expect(await h.stores.runs.list(agent.id)).toEqual([]);
  });

  it('shows the key (with its e-mail), the models, and the repositories, in v1 and v0', async () => {
    const key = (await h.api.keys.create({ name: 'carol', ownerEmail: 'carol@example.com' })).key;
    const me = Me.parse((await h.call('GET', '/v1/me', { key: null, headers: basic(key) })).json);
    expect(me).toMatchObject({ apiKeyName: 'carol', userEmail: 'carol@example.com' });
    const v0me = await h.call('GET', '/v0/me', { key });
    expect(v0me.json).toMatchObject({ apiKeyName: 'carol', userEmail: 'carol@example.com' });
    expect(Models.parse((await h.call('GET', '/v1/models')).json).models.map((m) => m.id)).toEqual(['openai:test-model', 'openai:test-large']);
    expect(Repositories.parse((await h.call('GET', '/v1/repositories')).json).repositories).toEqual([]);
    expect(Repositories.parse((await h.call('GET', '/v0/repositories')).json).repositories).toEqual([]);
  });
});

describe('HTTP API: repositories from the GitHub App, cached', () => {
  let h: ApiHarness;
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await FakeGitHub.start();
    github.addRepo('acme/web', { installationId: 11 });
    github.addRepo('acme/api', { installationId: 11 });
    github.addRepo('other/tool', { installationId: 12 });
    const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silent, throttle: { id: 'repos-list' } });
    h = await apiHarness({ repositories: () => host.listRepositories() });
  });
  afterAll(async () => {
    await h.close();
    await github.close();
  });

  it('lists every repository the installations reach, and asks GitHub once while the list is cached', async () => {
    const v1 = Repositories.parse((await h.call('GET', '/v1/repositories')).json);
    expect(v1.repositories.map((r) => `${r.owner}/${r.name}`)).toEqual(['acme/api', 'acme/web', 'other/tool']);
    expect(v1.repositories[0]!.repository).toBe(`${github.webUrl}/acme/api`);
    const v0 = Repositories.parse((await h.call('GET', '/v0/repositories')).json);
    expect(v0).toEqual(v1);
    expect(github.calls.filter((c) => c.path === '/app/installations')).toHaveLength(1);
  });
});

describe('HTTP API: rate limits per key', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ rateLimit: { points: 3, durationSeconds: 60 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('counts v0 and v1 requests of one key together, with X-RateLimit headers, then answers 429 with Retry-After', async () => {
    const one = await h.call('GET', '/v1/me');
    expect(one.status).toBe(200);
    expect(one.headers.get('x-ratelimit-limit')).toBe('3');
    expect(one.headers.get('x-ratelimit-remaining')).toBe('2');
    const reset = Number(one.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    expect((await h.call('GET', '/v0/me')).headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await h.call('GET', '/v1/models')).status).toBe(200);
    const refused = await h.call('GET', '/v1/agents');
    expect(refused.status).toBe(429);
    expect(ErrorBody.parse(refused.json).error.code).toBe('rate_limit_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another key has its own budget.
    const bob = await h.call('GET', '/v1/me', { key: h.keys.bob });
    expect(bob.status).toBe(200);
    expect(bob.headers.get('x-ratelimit-remaining')).toBe('2');
  });
});
