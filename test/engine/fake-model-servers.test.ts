import { afterEach, describe, expect, it } from '@jest/globals';
import { isErrandError, type ModelClient, type ModelMessage } from '../../src/core/index.js';
import { AnthropicClient } from '../../src/engine/providers/anthropic.js';
import { OpenAiCompatibleClient } from '../../src/engine/providers/openai-compatible.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeModelServer, FakeStep } from '../support/fake-model-script.js';
import { startFakeOpenAi } from '../support/fake-openai.js';

/** The fakes every engine test leans on must fail loudly when a test's script is wrong. */

const retry = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 };
const identity = (provider: string) => ({ provider, keyVariable: 'KEY', baseUrlVariable: 'URL' });

const fakes = [
  { name: 'fake OpenAI', start: startFakeOpenAi, client: (baseUrl: string): ModelClient => new OpenAiCompatibleClient({ ...identity('openai'), baseUrl, retry }) },
  { name: 'fake Anthropic', start: startFakeAnthropic, client: (baseUrl: string): ModelClient => new AnthropicClient({ ...identity('anthropic'), baseUrl, retry }) },
];

const servers: FakeModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isErrandError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const hello: ModelMessage[] = [{ role: 'user', content: 'hello' }];

describe.each(fakes)('the $name server', (fake) => {
  async function start(steps: FakeStep[]): Promise<FakeModelServer> {
    const server = await fake.start(steps);
    servers.push(server);
    return server;
  }

  it('answers a request beyond the script with a clear error, once, and fails assertDone', async () => {
    const server = await start([{ reply: { text: 'one' } }]);
    const client = fake.client(server.baseUrl);
    await client.complete({ model: 'm', messages: hello, tools: [] });
    expect(await failure(client.complete({ model: 'm', messages: [{ role: 'user', content: 'again' }], tools: [] }))).toContain('unexpected request #1 beyond the script of 1 steps');
    // Marked not-retryable, so a broken script does not turn into a retry storm.
    expect(server.requests).toHaveLength(2);
    expect(() => server.assertDone()).toThrow(/unexpected request #1 .* last message: user: "again"/);
  });

  it('reports a step whose check fails', async () => {
    const server = await start([{ label: 'asks for the diff', expect: { lastMessageIncludes: 'diff', tools: ['run'] }, reply: { text: 'x' } }]);
    await failure(fake.client(server.baseUrl).complete({ model: 'm', messages: hello, tools: [] }));
    expect(() => server.assertDone()).toThrow(/step asks for the diff: expected the last user\/tool message to include "diff"/);
  });

  it('reports steps the test expected but the code never requested', async () => {
    const server = await start([{ reply: { text: 'a' } }, { label: 'second turn', reply: { text: 'b' } }]);
    await fake.client(server.baseUrl).complete({ model: 'm', messages: hello, tools: [] });
    expect(() => server.assertDone()).toThrow('1 scripted step(s) never requested: second turn');
  });

  it('computes a reply from the request, for follow-ups', async () => {
    const server = await start([{ reply: (request) => ({ text: `you said ${request.lastMessage?.text ?? ''}` }) }]);
    const response = await fake.client(server.baseUrl).complete({ model: 'm', messages: hello, tools: [] });
    expect(response.text).toBe('you said hello');
    server.assertDone();
  });

  it('rejects, as the real API does, a tool call left without its result', async () => {
    const server = await start([]);
    const broken: ModelMessage[] = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'run', arguments: '{}' }] },
      { role: 'user', content: 'and?' },
    ];
    expect(await failure(fake.client(server.baseUrl).complete({ model: 'm', messages: broken, tools: [] }))).toContain('would be rejected by the real API');
    expect(() => server.assertDone()).toThrow(/call_1/);
  });
});
