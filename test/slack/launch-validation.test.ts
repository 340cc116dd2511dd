import type { Agent } from '../../src/core/index.js';
import { ProviderRegistry } from '../../src/engine/providers/index.js';
import { repoServedCheck } from '../../src/git/repo-hosts.js';
import { slackHarness, type SlackHarness } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

/** The server as configured here: an OpenAI-compatible endpoint, no GitHub App. */
const models = new ProviderRegistry({
  config: {
    defaultModel: 'openai:test-model', models: [], openaiApiKey: 'sk-test-launch-validation-0123456789', openaiBaseUrl: 'http://127.0.0.1:9/v1',
    anthropicApiKey: undefined, anthropicBaseUrl: undefined, modelEndpoints: {}, modelMaxRetries: 0, modelTimeoutMs: 1000,
  },
});

describe('Slack: one launch validation in the core, before anything is posted', () => {
  let h: SlackHarness;
  beforeEach(async () => {
    h = await slackHarness({ capabilities: { models, assertRepoServed: repoServedCheck({ githubAppId: undefined, githubPrivateKey: undefined }) } });
  });
  afterEach(async () => {
    expect(h.slack.unexpected).toEqual([]);
    await h.close();
  });

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;

  it('refuses an unknown model or a GitHub repository without a GitHub App privately, posting nothing', async () => {
    const noApp = await h.answer('repo=acme/web fix the login test');
    expect(noApp).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('no GitHub App is configured') });
    const badModel = await h.answer('repo=https://git.example.com/acme/web.git model=nope:x fix the login test');
    expect(badModel).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('nope') });
    expect(await agents()).toEqual([]);
    expect(h.slack.okCalls('chat.postMessage')).toEqual([]);

    await h.command('repo=https://git.example.com/acme/web.git model=openai:test-model fix the login test');
    await waitFor(async () => ((await agents()).length === 1 ? true : undefined), { what: 'the valid launch' });
  });

  it('launches one agent on several repositories with `repo=a,b`, the first primary, and refuses one named twice privately', async () => {
    const twice = await h.answer('repo=https://git.example.com/acme/web.git,https://git.example.com/acme/web.git fix it');
    expect(twice).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('named twice') });
    expect(await agents()).toEqual([]);

    await h.command('repo=https://git.example.com/acme/web.git,https://git.example.com/acme/api.git add the field to both');
    const [agent] = await waitFor(async () => {
      const found = await agents();
      return found.length === 1 ? found : undefined;
    }, { what: 'the multi-repository launch' });
    expect(agent?.repo?.url).toBe('https://git.example.com/acme/web.git');
    expect(agent?.extraRepos).toEqual([{ repo: { url: 'https://git.example.com/acme/api.git' }, path: 'api', prUrl: null, prNumber: null }]);
  });
});
