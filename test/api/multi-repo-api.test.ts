import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/core/index.js';
import { createApiFrontend, type ApiFrontend } from '../../src/frontends/http/api/index.js';
import { startHttpServer, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { GitHubHost } from '../../src/git/github-host.js';
import { WebhookQueue } from '../../src/queue/webhook-queue.js';
import { silentLog, testDocker } from '../support/docker.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';
import { FakeGitHub } from '../support/fake-github.js';
import { startFakeOpenAi, type FakeModelServer, type FakeStep } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { waitFor } from '../support/wait.js';
import { silent } from './harness.js';

/**
 * Several repositories in one agent, end to end: launched through API v1 (`repos[]`) and v0, run by
 * the real worker in a real container against repositories served by the fake GitHub, with a
 * scripted model that edits files in two of three repositories.
 */
const docker = testDocker();
const pid = process.pid;
const app = `acme/app-${pid}`;
const lib = `acme/lib-${pid}`;
const docs = `acme/docs-${pid}`;
// The primary tracks a folder named like the docs repository: that one goes to /workspace/acme-docs-<pid>.
const docsFolder = `acme-docs-${pid}`;
const libFolder = `lib-${pid}`;

const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const finish = (summary: string): FakeStep => ({ label: 'finish', reply: call('finish', { summary }) });

let gitServer: GitServer;
let github: FakeGitHub | null = null;
let model: FakeModelServer | null = null;
let harness: EngineHarness | null = null;
let api: ApiFrontend | null = null;
let http: RunningHttpServer | null = null;
let webhooks: WebhookQueue | null = null;
let key = '';

beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
});
afterEach(async () => {
  await http?.close();
  await api?.close();
  await webhooks?.close();
  await harness?.close();
  await model?.close();
  github?.assertNoUnexpected();
  await github?.close();
  http = null;
  api = null;
  webhooks = null;
  harness = null;
  model = null;
  github = null;
});

let round = 0;
/** Three repositories on the fake GitHub, the engine on Docker, and the API on the same core. */
async function start(script: (names: { app: string; lib: string; docs: string }) => FakeStep[]): Promise<{ names: { app: string; lib: string; docs: string } }> {
  round += 1;
  const names = { app: `${app}-${round}`, lib: `${lib}-${round}`, docs: `${docs}-${round}` };
  github = await FakeGitHub.start({ gitServer });
  await gitServer.createRepo(names.app, { 'README.md': '# app\n', 'app.txt': 'app v1\n', [`docs-${pid}-${round}/notes.md`]: 'the primary owns this folder\n' });
  await gitServer.createRepo(names.lib, { 'lib.txt': 'lib v1\n' });
  await gitServer.createRepo(names.docs, { 'docs.md': '# docs v1\n' });
  for (const name of Object.values(names)) github.addRepo(name, { installationId: 88 });
  const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silentLog, throttle: { id: names.app } });
  model = await startFakeOpenAi(script(names));
  harness = await engineHarness({ model, docker, gitServer, hosts: [host], secrets: true });
  const { core } = harness;
  webhooks = new WebhookQueue(core.redis, core.prefix.replace(/:$/, ''), { attempts: 1, backoffMs: 50 });
  api = createApiFrontend({ agents: core.service, stores: core.stores, webhooks, models: null, scrubber: harness.deps.scrubber, log: silentLog, clock: core.clock, serverUrl: () => http?.url });
  await api.start();
  http = await startHttpServer({ host: '127.0.0.1', port: 0, log: silent, mounts: [api.mount] });
  key = (await api.keys.create({ name: 'ada' })).key;
  return { names };
}

/** The fields of API answers this test reads. */
interface Body {
  id?: string;
  agent?: { id: string; repos: unknown };
  run?: { id: string };
  git?: { branches: unknown };
  target?: { repositories: { prUrl: string | null }[] };
  error?: { message: string };
}

async function request(method: string, path: string, body?: unknown, basic = false): Promise<{ status: number; json: Body }> {
  const auth = basic ? `Basic ${Buffer.from(`${key}:`).toString('base64')}` : `Bearer ${key}`;
  const response = await fetch(`${http!.url}${path}`, { method, headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Body) : {} };
}

async function settled(id: string, runs = 1): Promise<Agent> {
  return waitFor(
    async () => {
      const events = await harness!.events(id);
      if (events.filter((e) => e.type === 'status' && ['finished', 'failed', 'stopped'].includes(e.status)).length < runs) return undefined;
      const agent = await harness!.agent(id);
      return ['finished', 'failed', 'stopped'].includes(agent.status) ? agent : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `agent ${id} to settle ${runs} time(s)` },
  );
}

const pullBody = (repo: string) => github!.pulls.find((p) => `${p.owner}/${p.repo}` === repo)?.body ?? '';

describe('several repositories in one agent', () => {
  it('launched with v1 repos[]: pushes a branch and opens a PR per changed repository, linked to each other; an unchanged one gets neither; a follow-up finds them again', async () => {
    const { names } = await start((names) => [
      {
        label: 'look around',
        expect: {
          check: (req) => {
            const system = req.messages[0]?.text ?? '';
            if (!system.includes(`${names.lib} at /workspace/${libFolder}-${round}, from its default branch.`)) return `the system prompt does not place ${names.lib}: ${system}`;
            if (!system.includes(`${names.docs} at /workspace/${docsFolder}-${round} (its name was taken, so its folder is owner-name)`)) return 'the system prompt does not place the docs repository under owner-name';
            return system.includes('Each is its own git repository') || 'the system prompt does not say each is its own repository';
          },
        },
        reply: call('run', { command: `git -C ${libFolder}-${round} rev-parse --abbrev-ref HEAD; git status --porcelain --untracked-files=all | wc -l; cat ${docsFolder}-${round}/docs.md` }),
      },
      {
        label: 'edit the primary',
        expect: { check: (req) => (/errand\/[^\n]+\n0\n# docs v1/.test(req.lastMessage?.text ?? '') ? true : `unexpected: ${req.lastMessage?.text}`) },
        reply: call('write_file', { path: 'app.txt', content: 'app v2\n' }),
      },
      { label: 'edit the library', reply: call('edit_file', { path: `${libFolder}-${round}/lib.txt`, old_string: 'lib v1', new_string: 'lib v2' }) },
      finish('Bump app and lib to v2\n\nBoth now say v2.'),
      {
        label: 'resumed: the checkouts are back on the branch',
        expect: { lastMessageIncludes: 'now document it' },
        reply: call('run', { command: `cat ${libFolder}-${round}/lib.txt; git -C ${libFolder}-${round} rev-parse --abbrev-ref HEAD; git -C ${docsFolder}-${round} rev-parse --abbrev-ref HEAD` }),
      },
      {
        label: 'document it',
        expect: { check: (req) => (/lib v2\nerrand\/\S+\nerrand\/\S+/.test(req.lastMessage?.text ?? '') ? true : `unexpected: ${req.lastMessage?.text}`) },
        reply: call('write_file', { path: `${docsFolder}-${round}/docs.md`, content: '# docs v2\n' }),
      },
      finish('Document v2'),
    ]);
    const created = await request('POST', '/v1/agents', { prompt: { text: 'bump everything to v2' }, repos: [{ url: names.app, startingRef: 'main' }, { url: names.lib }, { url: names.docs }] }, true);
    expect(created.status).toBe(201);
    const id = created.json.agent!.id;
    harness!.agentIds.push(id);
    expect(created.json.agent!.repos).toEqual([{ url: names.app, startingRef: 'main' }, { url: names.lib, startingRef: null }, { url: names.docs, startingRef: null }]);

    const agent = await settled(id);
    expect(agent.error).toBeNull();
    expect(agent.status).toBe('finished');
    const branch = agent.branch;
    expect(agent.extraRepos?.map((extra) => extra.path)).toEqual([`${libFolder}-${round}`, `${docsFolder}-${round}`]);

    // Two branches on two remotes; the unchanged repository gets no branch.
    expect(await gitServer.readFile(names.app, branch, 'app.txt')).toBe('app v2\n');
    expect(await gitServer.readFile(names.lib, branch, 'lib.txt')).toBe('lib v2\n');
    expect(await gitServer.branches(names.docs)).not.toContain(branch);
    // The primary's commit holds none of the other repository's files.
    expect(await gitServer.readFile(names.app, branch, `${libFolder}-${round}/lib.txt`)).toBeNull();
    expect((await gitServer.lastCommit(names.lib, branch)).subject).toBe('Bump app and lib to v2');
    // The dashboard's diff holds every repository pushed, each against its own base.
    const diff = await harness!.core.stores.diffs.load(id);
    expect(diff?.text).toContain('+app v2');
    expect(diff?.repos?.map((repo) => [repo.repo, repo.folder, repo.base])).toEqual([[names.lib, `${libFolder}-${round}`, 'main']]);
    expect(diff?.repos?.[0]?.text).toContain('+lib v2');

    // Two PRs, each listing the other once both were open; none for docs.
    const opened = github!.callsTo('POST', '/repos/:owner/:repo/pulls');
    expect(opened.map((c) => c.path).sort()).toEqual([`/repos/${names.app}/pulls`, `/repos/${names.lib}/pulls`]);
    expect(agent.prUrl).toBeTruthy();
    const libPr = agent.extraRepos?.[0]?.prUrl;
    expect(libPr).toBeTruthy();
    expect(agent.extraRepos?.[1]?.prUrl).toBeNull();
    expect(pullBody(names.app)).toContain(`### Related pull requests`);
    expect(pullBody(names.app)).toContain(`${names.lib}: ${libPr}`);
    expect(pullBody(names.lib)).toContain(`${names.app}: ${agent.prUrl}`);
    expect(pullBody(names.lib)).not.toContain(`${names.lib}: `);

    // The summary and both API versions list every repository.
    expect(agent.summary).toContain(`- ${names.app} (/workspace): ${agent.prUrl}`);
    expect(agent.summary).toContain(`- ${names.lib} (/workspace/${libFolder}-${round}): ${libPr}`);
    expect(agent.summary).toContain(`- ${names.docs} (/workspace/${docsFolder}-${round}): no changes`);
    const v1 = await request('GET', `/v1/agents/${id}/runs/${created.json.run!.id}`);
    expect(v1.json.git!.branches).toEqual([
      { repoUrl: names.app, branch, prUrl: agent.prUrl },
      { repoUrl: names.lib, branch, prUrl: libPr },
      { repoUrl: names.docs, branch, prUrl: null },
    ]);
    const v0 = await request('GET', `/v0/agents/${id}`);
    expect(v0.json.target!.repositories).toEqual([
      { repository: names.app, path: '/workspace', branchName: branch, prUrl: agent.prUrl },
      { repository: names.lib, path: `/workspace/${libFolder}-${round}`, branchName: branch, prUrl: libPr },
      { repository: names.docs, path: `/workspace/${docsFolder}-${round}`, branchName: branch, prUrl: null },
    ]);

    // A follow-up: the same folders and branches come back; the docs change gets the third PR, and all three list each other.
    const followUp = await request('POST', `/v1/agents/${id}/runs`, { prompt: { text: 'now document it' } });
    expect(followUp.status).toBe(201);
    const second = await settled(id, 2);
    model!.assertDone();
    expect(second.status).toBe('finished');
    expect(await gitServer.readFile(names.docs, branch, 'docs.md')).toBe('# docs v2\n');
    const after = await harness!.core.stores.diffs.load(id);
    expect(after?.repos?.map((repo) => repo.repo)).toEqual([names.lib, names.docs]);
    expect(after?.repos?.[1]?.text).toContain('+# docs v2');
    expect(github!.callsTo('POST', '/repos/:owner/:repo/pulls')).toHaveLength(3);
    const docsPr = second.extraRepos?.[1]?.prUrl;
    expect(docsPr).toBeTruthy();
    expect(second.extraRepos?.[0]?.prUrl).toBe(libPr);
    for (const [repo, others] of [[names.app, [libPr, docsPr]], [names.lib, [second.prUrl, docsPr]], [names.docs, [second.prUrl, libPr]]] as const) {
      for (const other of others) expect(pullBody(repo)).toContain(String(other));
    }
  });

  it('launched with v0 repos: only the changed second repository is pushed and gets a PR; one whose folder was removed is reported', async () => {
    const { names } = await start(() => [
      { label: 'edit the library only', reply: call('write_file', { path: `${libFolder}-${round}/lib.txt`, content: 'lib v3\n' }) },
      { label: 'remove the docs checkout', reply: call('run', { command: `rm -rf ${docsFolder}-${round}` }) },
      finish('Bump lib to v3'),
    ]);
    const created = await request('POST', '/v0/agents', { prompt: { text: 'bump lib to v3' }, repos: [names.app, names.lib, names.docs] });
    expect(created.status).toBe(201);
    const id = created.json.id!;
    harness!.agentIds.push(id);
    const agent = await settled(id);
    model!.assertDone();
    expect(agent.status).toBe('finished');
    expect(await gitServer.branches(names.app)).not.toContain(agent.branch);
    expect(await gitServer.readFile(names.lib, agent.branch, 'lib.txt')).toBe('lib v3\n');
    expect(github!.callsTo('POST', '/repos/:owner/:repo/pulls').map((c) => c.path)).toEqual([`/repos/${names.lib}/pulls`]);
    // One PR: nothing to link.
    expect(github!.callsTo('PATCH', '/repos/:owner/:repo/pulls/:number')).toHaveLength(0);
    expect(agent.prUrl).toBeNull();
    const v0 = await request('GET', `/v0/agents/${id}`);
    expect(v0.json.target!.repositories.map((r) => r.prUrl)).toEqual([null, agent.extraRepos?.[0]?.prUrl, null]);
    // A repository whose folder the agent removed is reported, and does not keep the others from their push.
    expect(await harness!.events(id)).toContainEqual(expect.objectContaining({ type: 'error', message: expect.stringContaining(`${names.docs} was not pushed`) }));
    expect(await gitServer.branches(names.docs)).not.toContain(agent.branch);
  });

  it('in plan mode leaves every repository as its branch has it, and the agent-mode follow-up starts clean', async () => {
    const { names } = await start(() => [
      { label: 'explore, changing files', reply: call('run', { command: `echo scratch >> ${libFolder}-${round}/lib.txt && touch ${libFolder}-${round}/notes.tmp && echo done` }) },
      finish('Plan: bump lib'),
      { label: 'carry it out', expect: { lastMessageIncludes: 'go ahead' }, reply: call('run', { command: `cat ${libFolder}-${round}/lib.txt; ls ${libFolder}-${round}` }) },
      { label: 'clean', expect: { check: (req) => (/\nlib v1\nlib\.txt$/.test(req.lastMessage?.text.trim() ?? '') ? true : `unexpected: ${req.lastMessage?.text}`) }, reply: call('write_file', { path: `${libFolder}-${round}/lib.txt`, content: 'lib v4\n' }) },
      finish('Bump lib to v4'),
    ]);
    const created = await request('POST', '/v1/agents', { prompt: { text: 'plan the lib bump' }, mode: 'plan', repos: [{ url: names.app }, { url: names.lib }] });
    expect(created.status).toBe(201);
    const id = created.json.agent!.id;
    harness!.agentIds.push(id);
    const planned = await settled(id);
    expect(planned.status).toBe('finished');
    expect(await gitServer.branches(names.lib)).not.toContain(planned.branch);
    expect(github!.callsTo('POST', '/repos/:owner/:repo/pulls')).toHaveLength(0);
    expect((await request('POST', `/v1/agents/${id}/runs`, { prompt: { text: 'mode=agent go ahead' } })).status).toBe(201);
    const done = await settled(id, 2);
    model!.assertDone();
    expect(done.status).toBe('finished');
    expect(await gitServer.readFile(names.lib, done.branch, 'lib.txt')).toBe('lib v4\n');
    expect(await gitServer.readFile(names.lib, done.branch, 'notes.tmp')).toBeNull();
  });

  it('refuses the 21st repository and a repository named twice through both versions', async () => {
    await start(() => []);
    const many = Array.from({ length: 21 }, (_, i) => `acme/r${i}`);
    const v1 = await request('POST', '/v1/agents', { prompt: { text: 'x' }, repos: many.map((url) => ({ url })) });
    expect(v1.status).toBe(400);
    const twice = await request('POST', '/v0/agents', { prompt: { text: 'x' }, repos: ['acme/a', 'acme/b', 'ACME/a'] });
    expect(twice.status).toBe(400);
    expect(twice.json.error!.message).toBe('repository ACME/a is named twice: name each repository once');
    const twiceV1 = await request('POST', '/v1/agents', { prompt: { text: 'x' }, repos: [{ url: 'acme/a' }, { url: 'acme/a.git' }] });
    expect(twiceV1.status).toBe(400);
    expect((await harness!.core.service.list({ limit: 5 })).agents).toHaveLength(0);
  });
});
