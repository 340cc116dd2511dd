import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startErrand, type Errand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys, testRedisUrl, uniqueInstance } from '../support/redis.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';
import { waitFor } from '../support/wait.js';

describe('Slack in a running Errand', () => {
  let errand: Errand | null = null;
  let slack: FakeSlack;
  const instance = uniqueInstance('slackwire');
  const prefix = `${instance}:`;
  afterEach(async () => {
    if (errand) await deleteKeys(errand.redis, prefix);
    await errand?.stop();
    await slack.stop();
  });

  it('serves /slack/events and renders into Slack when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set', async () => {
    slack = await new FakeSlack().start();
    slack.addChannel('C1');
    const config = loadConfig({
      REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'web', PORT: '0', ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: 'wired-secret', SLACK_API_URL: slack.apiUrl, ERRAND_PUBLIC_URL: 'https://errand.example.com',
    });
    errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance });
    const url = `${errand.http!.url}/slack/events`;
    const challenge = await postSigned(url, JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }), 'application/json', { secret: 'wired-secret' });
    expect(challenge.json()).toEqual({ challenge: 'abc123' });

    const command = await postSigned(url, slashCommandBody({ text: 'repo=https://git.example.com/acme/app.git fix it', responseUrl: slack.responseUrl('1') }), 'application/x-www-form-urlencoded', { secret: 'wired-secret' });
    expect(command.status).toBe(200);
    // The web role's dispatcher edits the root message the command posted and adds ⏳.
    await waitFor(() => slack.okCalls('reactions.add').length === 1, { what: 'the first render' });
    expect(slack.okCalls('chat.update')[0]?.args.ts).toBe(slack.okCalls('chat.postMessage').length === 1 ? slack.messages[0]!.ts : 'one root message');
    expect(slack.unexpected).toEqual([]);
  });
});
