import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import { isErrandError, type ErrandError, type ModelClient, type ModelMessage, type ModelTool } from '../../src/core/index.js';
import { AnthropicClient } from '../../src/engine/providers/anthropic.js';
import { OpenAiCompatibleClient } from '../../src/engine/providers/openai-compatible.js';
import type { RetryPolicy } from '../../src/engine/providers/retry.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import { Gate, type FakeModelServer, type FakeStep } from '../support/fake-model-script.js';
import { startFakeOpenAi } from '../support/fake-openai.js';
import { waitFor } from '../support/wait.js';

const fastRetry: RetryPolicy = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 };

const readFile: ModelTool = {
  name: 'read_file',
  description: 'Reads a file of the repository',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};
const runCommand: ModelTool = {
  name: 'run',
  description: 'Runs a shell command',
  parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

interface Provider {
  name: string;
  keyVariable: string;
  start(steps: FakeStep[]): Promise<FakeModelServer>;
  client(baseUrl: string, retry?: RetryPolicy): ModelClient;
}

const providers: Provider[] = [
  {
    name: 'OpenAI-compatible',
    keyVariable: 'OPENAI_API_KEY',
    start: startFakeOpenAi,
    client: (baseUrl, retry = fastRetry) =>
      new OpenAiCompatibleClient({ provider: 'openai', keyVariable: 'OPENAI_API_KEY', baseUrlVariable: 'OPENAI_BASE_URL', apiKey: 'sk-test-key', baseUrl, retry }),
  },
  {
    name: 'Anthropic',
    keyVariable: 'ANTHROPIC_API_KEY',
    start: startFakeAnthropic,
    client: (baseUrl, retry = fastRetry) =>
      new AnthropicClient({ provider: 'anthropic', keyVariable: 'ANTHROPIC_API_KEY', baseUrlVariable: 'ANTHROPIC_BASE_URL', apiKey: 'sk-ant-test-key', baseUrl, retry }),
  },
];

async function rejection(promise: Promise<unknown>): Promise<ErrandError> {
  try {
    await promise;
  } catch (error) {
    if (isErrandError(error)) return error;
    throw new Error(`expected an ErrandError, got ${String(error)}`);
  }
  throw new Error('expected the call to fail');
}

const servers: FakeModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(providers)('$name provider', (provider) => {
  async function fake(steps: FakeStep[]): Promise<FakeModelServer> {
    const server = await provider.start(steps);
    servers.push(server);
    return server;
  }

  it("leaves no listener on the run's abort signal after each call, however many calls a run makes", async () => {
    const calls = 15;
    const server = await fake(Array.from({ length: calls }, () => ({ reply: { text: 'ok' } })));
    const client = provider.client(server.baseUrl);
    const run = new AbortController();
    for (let i = 0; i < calls; i++) await client.complete({ model: 'm', messages: [{ role: 'user', content: `step ${i}` }], tools: [] }, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('answers a prompt with text and reports the tokens used', async () => {
    const server = await fake([{ expect: { lastMessageIncludes: 'say hello', model: 'm-1' }, reply: { text: 'Hello!', usage: { inputTokens: 42, outputTokens: 7 } } }]);
    const response = await provider.client(server.baseUrl).complete({
      model: 'm-1',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'say hello' },
      ],
      tools: [],
    });
    expect(response).toEqual({ text: 'Hello!', toolCalls: [], usage: { inputTokens: 42, outputTokens: 7 }, stopReason: 'end' });
    expect(server.requests[0]!.messages[0]).toEqual({ role: 'system', text: 'You are terse.' });
    server.assertDone();
  });

  it('offers the tools and returns the tool calls the model makes, arguments intact', async () => {
    const server = await fake([
      {
        expect: { tools: ['read_file', 'run'] },
        reply: {
          text: 'Let me look.',
          toolCalls: [
            { id: 'call_a', name: 'read_file', arguments: { path: 'src/ü.ts' } },
            { id: 'call_b', name: 'run', arguments: { command: 'npm test -- --grep "login"' } },
          ],
        },
      },
    ]);
    const response = await provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'fix it' }], tools: [readFile, runCommand] });
    expect(response.stopReason).toBe('tool_calls');
    expect(response.text).toBe('Let me look.');
    expect(response.toolCalls.map((c) => ({ ...c, arguments: JSON.parse(c.arguments) as unknown }))).toEqual([
      { id: 'call_a', name: 'read_file', arguments: { path: 'src/ü.ts' } },
      { id: 'call_b', name: 'run', arguments: { command: 'npm test -- --grep "login"' } },
    ]);
    server.assertDone();
  });

  it('sends the whole conversation back with tool results paired to their calls, errors marked', async () => {
    const history: ModelMessage[] = [
      { role: 'system', content: 'You fix bugs.' },
      { role: 'user', content: 'fix the login test' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_1', name: 'read_file', arguments: '{"path":"login.ts"}' },
          { id: 'call_2', name: 'run', arguments: '{"command":"npm test"}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_1', name: 'read_file', content: 'export const login = () => false;' },
      { role: 'tool', toolCallId: 'call_2', name: 'run', content: '1 failing', isError: true },
      { role: 'user', content: 'also keep the API stable' },
    ];
    const server = await fake([
      {
        expect: {
          lastMessageIncludes: 'keep the API stable',
          check: (request) => {
            const results = request.messages.filter((m) => m.role === 'tool');
            expect(results.map((r) => r.toolCallId)).toEqual(['call_1', 'call_2']);
            expect(results[0]!.text).toBe('export const login = () => false;');
            expect(results[1]!.text).toContain('1 failing');
            const assistant = request.messages.find((m) => m.role === 'assistant');
            expect(assistant?.toolCalls).toEqual([
              { id: 'call_1', name: 'read_file', arguments: { path: 'login.ts' } },
              { id: 'call_2', name: 'run', arguments: { command: 'npm test' } },
            ]);
          },
        },
        reply: { text: 'Fixed.' },
      },
    ]);
    const response = await provider.client(server.baseUrl).complete({ model: 'm', messages: history, tools: [readFile, runCommand] });
    expect(response.text).toBe('Fixed.');
    server.assertDone();
    const body = server.requests[0]!.body;
    if (provider.name === 'Anthropic') {
      // System apart; both results and the follow-up in one user turn, results first, error flagged.
      expect(body['system']).toBe('You fix bugs.');
      const messages = body['messages'] as { role: string; content: { type: string; is_error?: boolean }[] }[];
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(messages[2]!.content.map((b) => b.type)).toEqual(['tool_result', 'tool_result', 'text']);
      expect(messages[2]!.content[1]!.is_error).toBe(true);
    } else {
      const messages = body['messages'] as { role: string; content: string | null }[];
      expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'user']);
      expect(messages[4]!.content).toBe('Error: 1 failing');
    }
  });

  it('waits as long as a 429 asks (retry-after) and then succeeds', async () => {
    const server = await fake([{ reply: { error: { status: 429, retryAfter: 1 } } }, { reply: { text: 'after the wait' } }]);
    const response = await provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] });
    expect(response.text).toBe('after the wait');
    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    server.assertDone();
  });

  it('retries a server error and a dropped connection, then succeeds', async () => {
    const server = await fake([{ reply: { error: { status: 500 } } }, { reply: { disconnect: true } }, { reply: { text: 'third time lucky' } }]);
    const response = await provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] });
    expect(response.text).toBe('third time lucky');
    server.assertDone();
  });

  it('gives up after the configured retries with a model_failed error', async () => {
    const server = await fake([{ reply: { error: { status: 503 } } }, { reply: { error: { status: 503 } } }, { reply: { error: { status: 503 } } }]);
    const error = await rejection(provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] }));
    expect(error.code).toBe('model_failed');
    expect(error.message).toContain('after 3 attempts');
    server.assertDone();
  });

  it('fails at once when the API key is rejected, naming the variable to fix', async () => {
    const server = await fake([{ reply: { error: { status: 401 } } }]);
    const error = await rejection(provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] }));
    expect(error.code).toBe('model_failed');
    expect(error.message).toBe(`the ${provider.name === 'Anthropic' ? 'anthropic' : 'openai'} model provider rejected the API key (HTTP 401): check ${provider.keyVariable}`);
    expect(server.requests).toHaveLength(1);
    expect(JSON.stringify(server.requests[0]!.headers)).toContain('test-key');
    server.assertDone();
  });

  it('does not wait out a rate limit longer than the policy allows', async () => {
    const server = await fake([{ reply: { error: { status: 429, retryAfter: 3600 } } }]);
    const error = await rejection(provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] }));
    expect(error.code).toBe('model_failed');
    expect(error.message).toContain('asked to wait 3600 s');
    server.assertDone();
  });

  it('stops a call in flight when aborted: the call rejects and the connection closes', async () => {
    const gate = new Gate();
    const server = await fake([{ holdUntil: gate, reply: { text: 'too late' } }]);
    const controller = new AbortController();
    const call = provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'long task' }], tools: [] }, controller.signal);
    await gate.reached;
    controller.abort();
    const error = await rejection(call);
    expect(error.code).toBe('aborted');
    await waitFor(() => server.requests[0]!.clientGone, { what: 'the fake to see the client go' });
    server.assertDone();
  });

  it('stops while waiting to retry, without waiting out the retry-after', async () => {
    const server = await fake([{ reply: { error: { status: 429, retryAfter: 4 } } }]);
    const controller = new AbortController();
    const call = provider.client(server.baseUrl).complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] }, controller.signal);
    await waitFor(() => server.requests.length === 1, { what: 'the first attempt' });
    controller.abort();
    const error = await rejection(call);
    expect(error.code).toBe('aborted');
    server.assertDone();
  }, 3_000);
});
