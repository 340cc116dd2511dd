import { ConfigError, integrations, loadConfig } from '../src/config.js';

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('configuration', () => {
  it('starts with no variables at all, with every integration off', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ role: 'all', port: 3000, retentionDays: 3, baseImage: 'errand-machine:bookworm', sandboxDiskMb: 10240 });
    expect(config.redisUrl).toBeUndefined();
    expect(integrations(config).every((i) => !i.on)).toBe(true);
  });

  it('names the variable, what is wrong and the value it got', () => {
    const message = configError({ PORT: 'eighty', REDIS_URL: 'http://localhost' });
    expect(message).toContain('PORT:');
    expect(message).toContain('"eighty"');
    expect(message).toContain('REDIS_URL:');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '', OPENAI_API_KEY: '' }).redisUrl).toBeUndefined();
  });

  it('refuses a Slack token of the wrong kind', () => {
    expect(configError({ SLACK_BOT_TOKEN: 'xapp-1-abc' })).toContain('SLACK_BOT_TOKEN: must start with xoxb-');
  });

  it('says what is missing when an integration is half configured', () => {
    expect(configError({ SLACK_BOT_TOKEN: 'xoxb-1-2' })).toContain('neither SLACK_SIGNING_SECRET');
    expect(configError({ GITHUB_APP_ID: '1' })).toContain('GITHUB_PRIVATE_KEY or GITHUB_WEBHOOK_SECRET is missing');
  });

  it('reports configured integrations as on', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2', SLACK_SIGNING_SECRET: 's', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    expect(integrations(config).filter((i) => i.on).map((i) => i.name)).toEqual(['Slack', 'Models']);
  });
});
