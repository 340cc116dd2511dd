import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { repositoryListFromConfig, unlistedGitHosts } from '../../src/git/repo-hosts.js';
import { FakeGitHub } from '../support/fake-github.js';
import { apiHarness, silent, type ApiHarness } from './harness.js';

const Repository = z.object({ owner: z.string(), name: z.string(), repository: z.string() }).strict();
/** Cursor's `{repositories}`, plus Errand's `unlistedHosts` when a configured host cannot be listed. */
const Repositories = z.object({ repositories: z.array(Repository), unlistedHosts: z.array(z.object({ url: z.url(), reason: z.string() }).strict()).optional() }).strict();

describe('GET /v0|v1/repositories with the GitHub App and plain git hosts', () => {
  let h: ApiHarness;
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await FakeGitHub.start();
    github.addRepo('acme/web', { installationId: 11 });
    const config = loadConfig({
      GITHUB_APP_ID: String(github.appId),
      GITHUB_PRIVATE_KEY: github.privateKey,
      GITHUB_API_URL: github.url,
      GITHUB_WEBHOOK_SECRET: 'webhook-secret-for-the-app-0123456789',
      ERRAND_GIT_TOKEN: 'gitea-token-0123456789abcdef',
      ERRAND_GIT_TOKEN_URL: 'https://git.example.com/',
      ERRAND_GIT_REPOS: 'https://git.example.com/infra/deploy.git, https://git.example.com/infra/charts',
    });
    h = await apiHarness({ repositories: repositoryListFromConfig(config, { log: silent })!, unlistedHosts: unlistedGitHosts(config) });
  });
  afterAll(async () => {
    await h?.close();
    await github?.close();
  });

  it('lists the App installations and the plain git repositories together, cached, the same in v0 and v1', async () => {
    const v1 = Repositories.parse((await h.call('GET', '/v1/repositories')).json);
    expect(v1).toEqual({
      repositories: [
        { owner: 'acme', name: 'web', repository: `${github.webUrl}/acme/web` },
        { owner: 'infra', name: 'charts', repository: 'https://git.example.com/infra/charts' },
        { owner: 'infra', name: 'deploy', repository: 'https://git.example.com/infra/deploy.git' },
      ],
    });
    expect(Repositories.parse((await h.call('GET', '/v0/repositories')).json)).toEqual(v1);
    expect(github.calls.filter((c) => c.path === '/app/installations')).toHaveLength(1);
    expect(await h.redis.exists(`${h.prefix}repositories`)).toBe(1);
    // A listed plain repository is launched by its URL.
    const launched = await h.call('POST', '/v1/agents', { body: { prompt: { text: 'bump the chart' }, repos: [{ url: v1.repositories[1]!.repository }] } });
    expect(launched.status).toBe(201);
  });
});

describe('plain git hosts that cannot be listed', () => {
  it('are named with what to do when none of their repositories is configured', () => {
    const config = loadConfig({ ERRAND_GIT_TOKEN: 'token-0123456789', ERRAND_GIT_TOKEN_URL: 'https://git.internal.example/' });
    expect(unlistedGitHosts(config)).toEqual([{ url: 'https://git.internal.example/', reason: 'plain git hosts cannot be listed: name the repositories to offer in ERRAND_GIT_REPOS' }]);
    expect(repositoryListFromConfig(config, { log: silent })).toBeNull();
    expect(unlistedGitHosts(loadConfig({ ...{ ERRAND_GIT_TOKEN: 't', ERRAND_GIT_TOKEN_URL: 'https://git.internal.example/' }, ERRAND_GIT_REPOS: 'https://git.internal.example/a/b' }))).toEqual([]);
  });

  it('say so in the API answer', async () => {
    const h = await apiHarness({ unlistedHosts: [{ url: 'https://git.internal.example/', reason: 'plain git hosts cannot be listed: name the repositories to offer in ERRAND_GIT_REPOS' }] });
    try {
      const reply = Repositories.parse((await h.call('GET', '/v1/repositories')).json);
      expect(reply).toEqual({ repositories: [], unlistedHosts: [{ url: 'https://git.internal.example/', reason: expect.stringContaining('ERRAND_GIT_REPOS') }] });
    } finally {
      await h.close();
    }
  });

  it('refuse a repository URL with credentials at start-up', () => {
    expect(() => loadConfig({ ERRAND_GIT_REPOS: 'https://user:secret@git.example.com/a/b' })).toThrow(/ERRAND_GIT_REPOS/);
  });
});
