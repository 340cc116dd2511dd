import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { registerKeys, type KeysCliDeps } from '../../src/cli/keys.js';
import { apiHarness, waitFor, type ApiHarness } from './harness.js';

interface Run {
  output: () => string;
  exit: Promise<number | null>;
}

/** Runs the errand CLI as a person would, against the test server. */
function errand(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'errand-cli-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { output: () => output, exit: new Promise((done) => child.on('exit', (code) => done(code))) };
}

function sink() {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    text: () => text,
  };
}

describe('the errand CLI', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const newestAgentOf = async (owner: string) => {
    const page = await h.agents.list({ workspace: 'api', limit: 1 });
    const agent = page.agents[0];
    return agent && agent.owner.id === owner && agent.status === 'queued' ? agent : undefined;
  };

  it('errand run follows a driven agent to the end, prints its summary and PR, and exits 0', async () => {
    const run = errand(['run', '--repo', 'acme/web', '--branch', 'main', 'fix', 'the', 'flaky', 'login', 'test'], { ERRAND_URL: h.url, ERRAND_API_KEY: h.keys.alice });
    const agent = await waitFor(() => newestAgentOf('alice'), { timeoutMs: 30_000, what: `the launch; output so far: ${run.output()}` });
    expect(agent.prompt).toBe('fix the flaky login test');
    await waitFor(() => run.output().includes(`Launched ${agent.id}`), { what: 'the launch line' });
    await h.drive(agent.id, 'preparing', 'running', { type: 'milestone', name: 'environment_ready', text: 'environment ready' }, { type: 'model_message', text: 'Found the race in login.spec.ts.' });
    await h.drive(agent.id, { type: 'summary', text: 'Made the login test wait for the session.', branch: agent.branch, prUrl: 'https://github.com/acme/web/pull/9', diffstat: null });
    await h.agents.transition(agent.id, 'finished', { patch: { summary: 'Made the login test wait for the session.', prUrl: 'https://github.com/acme/web/pull/9' } });
    expect(await run.exit).toBe(0);
    const output = run.output();
    expect(output).toContain('• environment ready');
    expect(output).toContain('agent: Found the race in login.spec.ts.');
    expect(output).toContain(`FINISHED ${agent.id}`);
    expect(output).toContain('Made the login test wait for the session.');
    expect(output).toContain('Pull request: https://github.com/acme/web/pull/9');
    expect(output).toContain(`Branch: ${agent.branch}`);
  });

  it('errand run exits 1 when the agent fails, showing the error', async () => {
    const run = errand(['run', '--repo', 'acme/web', 'break', 'everything'], { ERRAND_URL: h.url, ERRAND_API_KEY: h.keys.bob });
    const agent = await waitFor(() => newestAgentOf('bob'), { timeoutMs: 30_000, what: `the launch; output so far: ${run.output()}` });
    await h.agents.transition(agent.id, 'failed', { patch: { error: { code: 'model_failed', message: 'the model provider answered 401' } } });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('error (model_failed): the model provider answered 401');
  });

  it('errand show, logs and list read an agent, and a missing key says how to get one', async () => {
    const id = await h.launch(h.keys.alice, { prompt: { text: 'tidy the readme' } });
    await h.drive(id, 'preparing', 'running', { type: 'log', phase: 'install', stream: 'stdout', text: 'added 12 packages' });
    const env = { ERRAND_URL: h.url, ERRAND_API_KEY: h.keys.alice };
    const [show, logs, list, anonymous] = [errand(['show', id], env), errand(['logs', id], env), errand(['list', '--status', 'RUNNING'], env), errand(['list'], { ERRAND_URL: h.url })];
    expect(await show.exit).toBe(0);
    expect(show.output()).toMatch(new RegExp(`status\\s+RUNNING \\(running\\)`));
    expect(await logs.exit).toBe(0);
    expect(logs.output()).toContain('[install] added 12 packages');
    expect(await list.exit).toBe(0);
    expect(list.output()).toContain(id);
    expect(await anonymous.exit).toBe(1);
    expect(anonymous.output()).toContain('errand: no API key: set ERRAND_API_KEY, or run `errand login`');
  });

  it('errand keys create prints the key once and saves it 0600; list never shows keys; revoke locks the key out', async () => {
    const home = mkdtempSync(join(tmpdir(), 'errand-keys-home-'));
    const run = async (argv: string[]) => {
      const out = sink();
      const err = sink();
      const deps: KeysCliDeps = {
        open: async () => ({ keys: h.api.keys, serverUrl: h.url, done: async () => undefined }),
        env: { HOME: home },
        stdout: out.stream,
        stderr: err.stream,
      };
      const program = new Command('errand').exitOverride();
      registerKeys(program, deps);
      await program.parseAsync(['node', 'errand', ...argv]);
      return { out: out.text(), err: err.text() };
    };
    const created = await run(['keys', 'create', '--name', 'carol', '--admin', '--save']);
    const key = created.out.trim();
    expect(key).toMatch(/^err_[A-Za-z0-9]{40}$/);
    expect(created.err).toContain('shown only this once');
    const path = join(home, '.config', 'errand', 'credentials');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: h.url, apiKey: key });
    expect((await h.call('GET', '/v0/me', { key })).json).toMatchObject({ apiKeyName: 'carol', admin: true });

    const listed = await run(['keys', 'list']);
    expect(listed.out).toContain('carol');
    expect(listed.out).not.toContain(key);
    expect(listed.out).toContain(key.slice(0, 8));
    await expect(run(['keys', 'create', '--name', 'carol'])).rejects.toMatchObject({ code: 'conflict' });

    expect((await run(['keys', 'revoke', 'carol'])).out).toContain('revoked carol');
    expect((await h.call('GET', '/v0/me', { key })).status).toBe(401);

    // A key can carry its owner's name and e-mail: agents launched with it credit them as co-author.
    const dave = (await run(['keys', 'create', '--name', 'dave-ci', '--owner-name', 'Dave Doe', '--email', 'dave@example.com'])).out.trim();
    const launched = await h.call('POST', '/v0/agents', { key: dave, body: { prompt: { text: 'tidy up' }, source: { repository: 'acme/web' } } });
    expect(launched.status).toBe(201);
    expect((await h.agents.get(launched.json['id'] as string))?.owner).toMatchObject({ name: 'Dave Doe', email: 'dave@example.com' });
    await expect(run(['keys', 'create', '--name', 'erin', '--email', 'not-an-address'])).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
