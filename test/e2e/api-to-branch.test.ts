import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { ApiKeyStore } from '../../src/frontends/http/api/api-keys.js';
import { startErrand, type Errand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { removeByRepo, testDocker } from '../support/docker.js';
import { startFakeOpenAi, type FakeModelServer, type FakeStep } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { testRedisUrl, uniqueInstance } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * The whole product as a newcomer meets it: `errand start` (role all) with a model endpoint and a
 * git remote configured, an agent launched through the HTTP API and through `errand run`, worked
 * on in a real container, pushed to the remote. Only the model is a fake.
 */
const token = 'e2e-push-token-0123456789';
const files = {
  'README.md': '# widgets\n\nRun `sh test.sh` to check the greeting.\n',
  'greet.sh': 'echo "hello wrld"\n',
  'test.sh': '[ "$(sh greet.sh)" = "hello world" ] && echo PASS || { echo FAIL; exit 1; }\n',
};
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const script = (): FakeStep[] => [
  { label: 'read', reply: call('read_file', { path: 'greet.sh' }) },
  { label: 'edit', expect: { lastMessageIncludes: 'hello wrld' }, reply: call('edit_file', { path: 'greet.sh', old_string: 'wrld', new_string: 'world' }) },
  { label: 'test', reply: call('run', { command: 'sh test.sh' }) },
  { label: 'finish', expect: { lastMessageIncludes: 'PASS' }, reply: call('finish', { summary: 'Fixed the typo in greet.sh; `sh test.sh` passes.' }) },
];

/** The fields of an API agent object this test reads. */
interface AgentJson {
  id: string;
  status: string;
  summary?: string;
  target: { branchName: string };
}

describe('end to end: API and CLI → worker → container → git', () => {
  let gitServer: GitServer;
  let model: FakeModelServer;
  let errand: Errand;
  let key: string;
  const repoName = `e2e/widgets-${process.pid}`;

  beforeAll(async () => {
    gitServer = await GitServer.start();
    await gitServer.createRepo(repoName, files, { tokens: [token] });
    model = await startFakeOpenAi([...script(), ...script()]);
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      ERRAND_DATA_DIR: mkdtempSync(join(tmpdir(), 'errand-e2e-')),
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: 'sk-e2e-model-key-abcdefghijklmnop',
      ERRAND_MODEL: 'openai:scripted',
      ERRAND_GIT_TOKEN: token,
      ERRAND_GIT_TOKEN_URL: gitServer.url,
      ERRAND_SANDBOX_NETWORK: 'none',
      LOG_LEVEL: 'silent',
    });
    const instance = uniqueInstance('e2e');
    errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance });
    key = (await new ApiKeyStore(errand.stores.apiKeys, errand.clock).create({ name: 'ada', admin: true })).key;
  });

  afterAll(async () => {
    await errand?.stop();
    await model?.close();
    await gitServer?.close();
    await removeByRepo(testDocker(), repoName);
  });

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${errand.http!.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as AgentJson };
  };

  it('launches through POST /v0/agents, finishes, and pushes the fix to its own branch', async () => {
    const launched = await api('/v0/agents', {
      method: 'POST',
      body: JSON.stringify({ prompt: { text: 'fix the greeting' }, source: { repository: gitServer.repoUrl(repoName), ref: 'main' } }),
    });
    expect(launched.status).toBe(201);
    const id = launched.body.id;
    const done = await waitFor(
      async () => {
        const { body } = await api(`/v0/agents/${id}`);
        return ['FINISHED', 'ERROR'].includes(body.status) ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'the agent to finish' },
    );
    expect(done).toMatchObject({ status: 'FINISHED', summary: expect.stringContaining('Fixed the typo') });
    const branch = done.target.branchName;
    expect(branch).toMatch(/^errand\/fix-the-greeting-/);
    expect(await gitServer.readFile(repoName, branch, 'greet.sh')).toBe('echo "hello world"\n');

    const conversation = await api(`/v0/agents/${id}/conversation`);
    expect(JSON.stringify(conversation.body)).toContain('fix the greeting');
  });

  it('runs from the CLI with `errand run`, streaming progress and ending with the summary', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--repo', gitServer.repoUrl(repoName), 'fix', 'the', 'greeting', 'again'], {
      env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'errand-e2e-home-')), ERRAND_URL: errand.http!.url, ERRAND_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(output).toContain('Fixed the typo in greet.sh');
    expect(code).toBe(0);
    model.assertDone();
  });
});
