import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startErrand, type Errand } from '../src/main.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { startLocalRedis, type LocalRedis } from '../src/redis/local-server.js';
import { slackThread, slackUser } from './support/core.js';

describe('Redis lost at run time', () => {
  let redis: LocalRedis;
  let errand: Errand | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'errand-aof-'));
  afterEach(async () => {
    await errand?.stop();
    await redis.stop();
  });

  it('reconnects and loses nothing that was accepted, before or during the outage', async () => {
    redis = await startLocalRedis({ dir, appendOnly: true });
    const config = loadConfig({ REDIS_URL: redis.url, ERRAND_ROLE: 'web', PORT: '0', ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance: 'restart' });
    const before = await errand.agents.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=https://git.example.com/a/b.git before the outage' });

    await redis.stop();
    // Accepted while Redis is down: ioredis queues the commands and sends them on reconnect.
    const during = errand.agents.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread('2.0'), text: 'repo=https://git.example.com/a/b.git during the outage' });
    redis = await startLocalRedis({ dir, appendOnly: true, port: redis.port });

    const duringAgent = (await during).agent;
    expect((await errand.agents.get(before.agent.id))?.prompt).toBe('before the outage');
    expect((await errand.agents.get(duringAgent.id))?.prompt).toBe('during the outage');
    expect(await errand.queue.queue.getJob(duringAgent.id)).toBeDefined();
  });
});
