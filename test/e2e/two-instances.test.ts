import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { ApiKeyStore } from '../../src/frontends/http/api/api-keys.js';
import { startErrand, type Errand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { removeByRepo, testDocker } from '../support/docker.js';
import { Gate, type FakeStep } from '../support/fake-model-script.js';
import { startFakeOpenAi, type FakeModelServer } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { testRedisUrl, uniqueInstance } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * Two Errand installs (staging next to production) on one Docker host and one Redis: each runs an
 * agent while the other starts up and sweeps for orphans, and both agents finish and push.
 */
const token = 'two-instances-token-0123456789';
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const script = (file: string, hold?: Gate): FakeStep[] => [
  { label: 'write', ...(hold ? { holdUntil: hold } : {}), reply: call('write_file', { path: file, content: 'done\n' }) },
  { label: 'finish', reply: call('finish', { summary: `Wrote ${file}.` }) },
];

describe('two Errand instances on one Docker host', () => {
  const repoName = `two/instances-${process.pid}`;
  const held = new Gate();
  let gitServer: GitServer;
  const models: FakeModelServer[] = [];
  const running: Errand[] = [];

  beforeAll(async () => {
    gitServer = await GitServer.start();
    await gitServer.createRepo(repoName, { 'README.md': '# two\n' }, { tokens: [token] });
  });
  afterAll(async () => {
    held.release();
    for (const errand of running) await errand.stop();
    for (const model of models) await model.close();
    await gitServer?.close();
    await removeByRepo(testDocker(), repoName);
  });

  async function start(label: string, steps: FakeStep[]): Promise<{ errand: Errand; launch: (prompt: string) => Promise<string> }> {
    const model = await startFakeOpenAi(steps);
    models.push(model);
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      ERRAND_DATA_DIR: mkdtempSync(join(tmpdir(), `errand-${label}-`)),
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: 'sk-two-instances-abcdefghijklmnop',
      ERRAND_MODEL: 'openai:scripted',
      ERRAND_GIT_TOKEN: token,
      ERRAND_GIT_TOKEN_URL: gitServer.url,
      ERRAND_BASE_IMAGE: 'errand-base:bookworm',
      LOG_LEVEL: 'silent',
    });
    const errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance: uniqueInstance(label) });
    running.push(errand);
    const key = (await new ApiKeyStore(errand.stores.apiKeys, errand.clock).create({ name: label, admin: true })).key;
    const launch = async (prompt: string) => {
      const response = await fetch(`${errand.http!.url}/v0/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: { text: prompt }, source: { repository: gitServer.repoUrl(repoName), ref: 'main' } }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };
    return { errand, launch };
  }

  const finished = (errand: Errand, id: string) =>
    waitFor(async () => ((await errand.agents.get(id))?.status === 'finished' ? true : undefined), { timeoutMs: 120_000, intervalMs: 250, what: `agent ${id} to finish` });

  it('keeps each instance off the other one’s containers, so both agents finish', async () => {
    const staging = await start('staging', script('staging.txt', held));
    const stagingAgent = await staging.launch('write the staging file');
    await held.reached; // staging's agent is mid-run, its container up

    // Production starts (its reaper sweeps the Docker host at once) and runs an agent of its own.
    const production = await start('production', script('production.txt'));
    const productionAgent = await production.launch('write the production file');
    await finished(production.errand, productionAgent);
    const containers = await testDocker().listContainers({ filters: { label: [`errand.agent=${stagingAgent}`] } });
    expect(containers.length).toBeGreaterThan(0);

    held.release();
    await finished(staging.errand, stagingAgent);
    const branches = await gitServer.branches(repoName);
    const stagingBranch = (await staging.errand.agents.get(stagingAgent))!.branch;
    const productionBranch = (await production.errand.agents.get(productionAgent))!.branch;
    expect(branches).toEqual(expect.arrayContaining([stagingBranch, productionBranch]));
    expect(await gitServer.readFile(repoName, stagingBranch, 'staging.txt')).toBe('done\n');
    expect(await gitServer.readFile(repoName, productionBranch, 'production.txt')).toBe('done\n');
  }, 240_000);
});
