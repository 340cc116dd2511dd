import { describe, expect, it } from '@jest/globals';
import type { ModelClient } from '../../src/core/index.js';
import { AnthropicClient } from '../../src/engine/providers/anthropic.js';
import { OpenAiCompatibleClient } from '../../src/engine/providers/openai-compatible.js';
import { engineTestBed, pushToken } from '../support/engine.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeModelServer, FakeReply, FakeStep } from '../support/fake-model-script.js';
import { startFakeOpenAi } from '../support/fake-openai.js';

const retry = { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 };
const request = { model: 'reasoner', messages: [{ role: 'user' as const, content: 'why is the login test flaky?' }], tools: [] };

async function answer(start: (steps: FakeStep[]) => Promise<FakeModelServer>, client: (baseUrl: string) => ModelClient, reply: FakeReply) {
  const server = await start([{ reply }]);
  try {
    const response = await client(server.baseUrl).complete(request);
    server.assertDone();
    // What goes back to the model next time is the text only.
    expect(server.requests[0]!.messages.map((m) => m.role)).toEqual(['user']);
    return response;
  } finally {
    await server.close();
  }
}

const openai = (baseUrl: string) => new OpenAiCompatibleClient({ provider: 'local', keyVariable: 'X', baseUrlVariable: 'Y', baseUrl, retry });
const anthropic = (baseUrl: string) => new AnthropicClient({ provider: 'anthropic', keyVariable: 'ANTHROPIC_API_KEY', baseUrlVariable: 'ANTHROPIC_BASE_URL', apiKey: 'sk-ant-test', baseUrl, retry });

describe("the model's reasoning, as each provider format sends it", () => {
  it('reads Anthropic thinking blocks apart from the text', async () => {
    const response = await answer(startFakeAnthropic, anthropic, { thinking: 'The test races the session cookie.', text: 'It races the cookie.' });
    expect(response).toMatchObject({ text: 'It races the cookie.', reasoning: 'The test races the session cookie.' });
  });

  it.each(['reasoning_content', 'reasoning'] as const)('reads the OpenAI-compatible `%s` field (vLLM, llama.cpp, DeepSeek, OpenRouter)', async (field) => {
    const response = await answer(startFakeOpenAi, openai, { thinking: 'Check the retry loop first.', reasoningAs: field, text: 'The retry loop.' });
    expect(response).toMatchObject({ text: 'The retry loop.', reasoning: 'Check the retry loop first.' });
  });

  it('splits a leading <think> block off the content (DeepSeek-R1, Qwen3 on servers that keep it inline)', async () => {
    const response = await answer(startFakeOpenAi, openai, { thinking: 'Maybe a timeout.', reasoningAs: 'think_tags', text: 'A timeout.' });
    expect(response).toMatchObject({ text: 'A timeout.', reasoning: 'Maybe a timeout.' });
  });

  it('has no reasoning when the model sends none', async () => {
    const response = await answer(startFakeOpenAi, openai, { text: 'Plain answer.' });
    expect(response.text).toBe('Plain answer.');
    expect(response.reasoning).toBeUndefined();
  });
});

const bed = engineTestBed();
const sessionToken = 'session-token-thinking-7a6b5c4d3e2f1a0b';

describe('thinking events of a real run', () => {
  it('stores the reasoning as thinking events before the message, bounded and scrubbed of secrets', async () => {
    const repo = `test/thinking-${process.pid}`;
    const url = await bed.gitServer.createRepo(repo, { 'README.md': '# widgets\n' }, { tokens: [pushToken] });
    const long = `I saw ${sessionToken} in the env. ${'x'.repeat(20_000)}`;
    const h = await bed.start([{ label: 'answer with reasoning', reply: { thinking: long, reasoningAs: 'reasoning_content', text: 'The README has one heading.' } }], { secrets: true });
    const id = await h.launch({ text: `repo=${url} mode=ask what is in the README?`, envVars: { SESSION_TOKEN: sessionToken } });
    const done = await h.waitForStatus(id, ['finished', 'failed']);
    bed.model!.assertDone();
    expect(done.error).toBeNull();
    const events = await h.events(id);
    const kinds = events.filter((e) => e.type === 'thinking' || e.type === 'model_message').map((e) => e.type);
    expect(kinds).toEqual(['thinking', 'model_message']);
    const thinking = events.find((e) => e.type === 'thinking') as { text: string };
    expect(thinking.text.startsWith('I saw [redacted] in the env.')).toBe(true);
    expect(thinking.text.length).toBeLessThan(8100);
    expect(JSON.stringify(events)).not.toContain(sessionToken);
    // The history a resume continues has the answer, not the reasoning.
    expect(JSON.stringify(await h.core.stores.history.load(id))).not.toContain('I saw');
  }, 120_000);
});
