import { afterEach, describe, expect, it } from '@jest/globals';
import { isErrandError, type ErrandError } from '../../src/core/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ProviderRegistry, parseModelName } from '../../src/engine/providers/registry.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeModelServer } from '../support/fake-model-script.js';
import { startFakeOpenAi } from '../support/fake-openai.js';

const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

function registry(env: Record<string, string>, extraEnv: Record<string, string> = {}): ProviderRegistry {
  return new ProviderRegistry({ config: loadConfig(env), env: { ...env, ...extraEnv }, retry: fastRetry });
}

function thrown(fn: () => unknown): ErrandError {
  try {
    fn();
  } catch (error) {
    if (isErrandError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

const servers: FakeModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('model names', () => {
  it('split at the first colon, so Ollama tags stay part of the model', () => {
    expect(parseModelName('openai:gpt-4.1')).toEqual({ provider: 'openai', model: 'gpt-4.1' });
    expect(parseModelName('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', model: 'llama3.1:8b' });
    expect(parseModelName(' gpt-4.1 ')).toEqual({ provider: undefined, model: 'gpt-4.1' });
  });
});

describe('model registry', () => {
  it('resolves provider:model to that provider and the bare model name', () => {
    const models = registry({ OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' });
    const resolved = models.resolve('anthropic:claude-sonnet-4-5');
    expect(resolved.model).toBe('claude-sonnet-4-5');
    expect(resolved.name).toBe('anthropic:claude-sonnet-4-5');
  });

  it('sends a bare model name to the provider of ERRAND_MODEL', async () => {
    const server = await startFakeAnthropic([{ expect: { model: 'claude-haiku-4-5' }, reply: { text: 'ok' } }]);
    servers.push(server);
    const models = registry({ ERRAND_MODEL: 'anthropic:claude-sonnet-4-5', OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: server.baseUrl });
    const resolved = models.resolve('claude-haiku-4-5');
    expect(resolved.name).toBe('anthropic:claude-haiku-4-5');
    await resolved.client.complete({ model: resolved.model, messages: [{ role: 'user', content: 'hi' }], tools: [] });
    server.assertDone();
  });

  it('uses the default model when none is given', () => {
    const models = registry({ ERRAND_MODEL: 'gpt-4.1-mini', OPENAI_API_KEY: 'sk-test' });
    expect(models.defaultModel()).toBe('openai:gpt-4.1-mini');
    expect(models.resolve('').name).toBe('openai:gpt-4.1-mini');
  });

  it('picks a sensible default when only a hosted provider key is set', () => {
    expect(registry({ OPENAI_API_KEY: 'sk-test' }).defaultModel()).toBe('openai:gpt-4.1');
    expect(registry({ ANTHROPIC_API_KEY: 'sk-ant-test' }).defaultModel()).toBe('anthropic:claude-sonnet-4-5');
    expect(registry({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).defaultModel()).toBeNull();
  });

  it('reaches a named endpoint such as ollama: at its own base URL, with no key needed', async () => {
    const server = await startFakeOpenAi([{ expect: { model: 'llama3.1:8b' }, reply: { text: 'local answer' } }]);
    servers.push(server);
    const models = registry({ ERRAND_MODEL_ENDPOINTS: JSON.stringify({ ollama: { baseUrl: server.baseUrl } }) });
    const resolved = models.resolve('ollama:llama3.1:8b');
    const response = await resolved.client.complete({ model: resolved.model, messages: [{ role: 'user', content: 'hi' }], tools: [] });
    expect(response.text).toBe('local answer');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer no-key-needed');
    server.assertDone();
  });

  it('sends an endpoint the key from the variable its apiKeyEnv names', async () => {
    const server = await startFakeOpenAi([{ reply: { text: 'routed' } }]);
    servers.push(server);
    const env = { ERRAND_MODEL_ENDPOINTS: JSON.stringify({ openrouter: { baseUrl: server.baseUrl, apiKeyEnv: 'OPENROUTER_API_KEY' } }) };
    const models = registry(env, { OPENROUTER_API_KEY: 'sk-or-test-123' });
    const resolved = models.resolve('openrouter:meta-llama/llama-3.3-70b-instruct');
    expect(resolved.model).toBe('meta-llama/llama-3.3-70b-instruct');
    await resolved.client.complete({ model: resolved.model, messages: [{ role: 'user', content: 'hi' }], tools: [] });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-or-test-123');
    server.assertDone();
  });

  it('hands every key in use to the log scrubber', () => {
    const env = { OPENAI_API_KEY: 'sk-test-openai', ERRAND_MODEL_ENDPOINTS: JSON.stringify({ openrouter: { baseUrl: 'https://openrouter.ai/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY' } }) };
    expect(registry(env, { OPENROUTER_API_KEY: 'sk-or-test-123' }).apiKeys().sort()).toEqual(['sk-or-test-123', 'sk-test-openai']);
  });

  it('names the variable to set when an endpoint key is missing', () => {
    const models = registry({ ERRAND_MODEL_ENDPOINTS: JSON.stringify({ openrouter: { baseUrl: 'https://openrouter.ai/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY' } }) });
    const error = thrown(() => models.resolve('openrouter:x'));
    expect(error.code).toBe('not_configured');
    expect(error.message).toContain('set OPENROUTER_API_KEY');
  });

  it('explains an unknown provider and how to add one', () => {
    const error = thrown(() => registry({ OPENAI_API_KEY: 'sk-test' }).resolve('mistral:large'));
    expect(error.code).toBe('not_configured');
    expect(error.message).toBe('unknown model provider "mistral" in "mistral:large": use one of openai, anthropic, or add "mistral" to ERRAND_MODEL_ENDPOINTS');
  });

  it('names the key to set when a built-in provider has none', () => {
    const error = thrown(() => registry({ OPENAI_API_KEY: 'sk-test' }).resolve('anthropic:claude-sonnet-4-5'));
    expect(error.code).toBe('not_configured');
    expect(error.message).toBe('the model provider "anthropic" is not configured: set ANTHROPIC_API_KEY');
  });

  it('says how to configure a provider when nothing is configured', () => {
    const error = thrown(() => registry({}).resolve(''));
    expect(error.code).toBe('not_configured');
    expect(error.message).toContain('set ERRAND_MODEL');
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('fails the boot check naming ERRAND_MODEL when the default cannot be used', () => {
    const error = thrown(() => registry({ ERRAND_MODEL: 'anthropic:claude-sonnet-4-5', OPENAI_API_KEY: 'sk-test' }).check());
    expect(error.code).toBe('not_configured');
    expect(error.message).toMatch(/^ERRAND_MODEL=anthropic:claude-sonnet-4-5: .*set ANTHROPIC_API_KEY/);
  });

  it('lists the models of configured providers only, default first', () => {
    const models = registry({
      ERRAND_MODEL: 'openai:gpt-4.1',
      ERRAND_MODELS: 'gpt-4.1-mini, anthropic:claude-sonnet-4-5, openai:gpt-4.1',
      OPENAI_API_KEY: 'sk-test',
      ERRAND_MODEL_ENDPOINTS: JSON.stringify({ ollama: { baseUrl: 'http://127.0.0.1:11434/v1', models: ['qwen2.5-coder:7b'] } }),
    });
    expect(models.list()).toEqual(['openai:gpt-4.1', 'openai:gpt-4.1-mini', 'ollama:qwen2.5-coder:7b']);
  });
});

describe('ERRAND_MODEL_ENDPOINTS', () => {
  function configError(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it('rejects text that is not JSON, naming the variable', () => {
    expect(configError({ ERRAND_MODEL_ENDPOINTS: '{ollama:' })).toContain('ERRAND_MODEL_ENDPOINTS: is not valid JSON');
  });

  it('rejects a bad base URL, saying which endpoint', () => {
    expect(configError({ ERRAND_MODEL_ENDPOINTS: '{"ollama":{"baseUrl":"localhost:11434"}}' })).toContain('ERRAND_MODEL_ENDPOINTS at ollama.baseUrl:');
  });

  it('refuses a key written into the JSON and asks for apiKeyEnv instead', () => {
    const message = configError({ ERRAND_MODEL_ENDPOINTS: '{"vllm":{"baseUrl":"http://127.0.0.1:8000/v1","apiKey":"abc"}}' });
    expect(message).toContain('ERRAND_MODEL_ENDPOINTS at vllm:');
    expect(message).toContain('apiKey');
  });

  it('keeps the built-in names for the built-in providers', () => {
    expect(configError({ ERRAND_MODEL_ENDPOINTS: '{"openai":{"baseUrl":"http://127.0.0.1:8000/v1"}}' })).toContain('set OPENAI_BASE_URL');
  });
});
