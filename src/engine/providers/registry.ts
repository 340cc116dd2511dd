import { ErrandError, type Log, type ModelClient, type ModelRegistry, type ResolvedModel } from '../../core/index.js';
import type { Config } from '../../config.js';
import { AnthropicClient } from './anthropic.js';
import type { ProviderIdentity } from './failures.js';
import { OpenAiCompatibleClient } from './openai-compatible.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';

export type ModelConfig = Pick<
  Config,
  'defaultModel' | 'models' | 'openaiApiKey' | 'openaiBaseUrl' | 'anthropicApiKey' | 'anthropicBaseUrl' | 'modelEndpoints' | 'modelMaxRetries' | 'modelTimeoutMs'
>;

/** Used when ERRAND_MODEL is unset and only a hosted provider's key is. */
export const fallbackModels = { openai: 'gpt-4.1', anthropic: 'claude-sonnet-4-5' } as const;

export interface ModelRegistryOptions {
  config: ModelConfig;
  /** Where `apiKeyEnv` of ERRAND_MODEL_ENDPOINTS is looked up. */
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** Overrides the back-off (tests use small delays); maxRetries comes from the config. */
  retry?: Partial<RetryPolicy>;
}

interface Provider extends ProviderIdentity {
  api: 'openai' | 'anthropic';
  apiKey: string | undefined;
  baseUrl: string | undefined;
  /** Why it cannot be used, as a fix-it; undefined when it can. */
  missing: string | undefined;
  models: string[];
}

/** A model name split into its provider and the provider's own model name. */
export function parseModelName(name: string): { provider: string | undefined; model: string } {
  const trimmed = name.trim();
  const colon = trimmed.indexOf(':');
  // Only the first colon splits: `ollama:llama3.1:8b` is model `llama3.1:8b` on `ollama`.
  if (colon === -1) return { provider: undefined, model: trimmed };
  return { provider: trimmed.slice(0, colon).trim().toLowerCase(), model: trimmed.slice(colon + 1).trim() };
}

/**
 * Resolves `provider:model` (or a bare model name, for the default provider) to a client. Built-in
 * providers are `openai` (OPENAI_API_KEY, OPENAI_BASE_URL) and `anthropic` (ANTHROPIC_API_KEY,
 * ANTHROPIC_BASE_URL); ERRAND_MODEL_ENDPOINTS adds named ones. One SDK client per provider.
 */
export class ProviderRegistry implements ModelRegistry {
  private readonly providers = new Map<string, Provider>();
  private readonly clients = new Map<string, ModelClient>();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ModelRegistryOptions) {
    const { config, env = process.env } = options;
    this.retry = { ...defaultRetryPolicy, ...options.retry, maxRetries: options.retry?.maxRetries ?? config.modelMaxRetries };
    this.providers.set('openai', {
      provider: 'openai',
      api: 'openai',
      apiKey: config.openaiApiKey,
      baseUrl: config.openaiBaseUrl,
      keyVariable: 'OPENAI_API_KEY',
      baseUrlVariable: 'OPENAI_BASE_URL',
      // A local server behind OPENAI_BASE_URL may need no key.
      missing: config.openaiApiKey || config.openaiBaseUrl ? undefined : 'set OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible server)',
      models: [],
    });
    this.providers.set('anthropic', {
      provider: 'anthropic',
      api: 'anthropic',
      apiKey: config.anthropicApiKey,
      baseUrl: config.anthropicBaseUrl,
      keyVariable: 'ANTHROPIC_API_KEY',
      baseUrlVariable: 'ANTHROPIC_BASE_URL',
      missing: config.anthropicApiKey || config.anthropicBaseUrl ? undefined : 'set ANTHROPIC_API_KEY',
      models: [],
    });
    for (const [name, endpoint] of Object.entries(config.modelEndpoints)) {
      const apiKey = endpoint.apiKeyEnv ? env[endpoint.apiKeyEnv] || undefined : undefined;
      this.providers.set(name, {
        provider: name,
        api: endpoint.api,
        apiKey,
        baseUrl: endpoint.baseUrl,
        keyVariable: endpoint.apiKeyEnv ?? `apiKeyEnv for "${name}" in ERRAND_MODEL_ENDPOINTS (the server wants a key)`,
        baseUrlVariable: `baseUrl for "${name}" in ERRAND_MODEL_ENDPOINTS`,
        missing: endpoint.apiKeyEnv && !apiKey ? `set ${endpoint.apiKeyEnv} (named by apiKeyEnv for "${name}" in ERRAND_MODEL_ENDPOINTS)` : undefined,
        models: endpoint.models,
      });
    }
  }

  resolve(name: string): ResolvedModel {
    const wanted = name.trim() === '' ? this.defaultModel() : name;
    if (wanted === null) {
      throw new ErrandError('not_configured', `no model was given and there is no default: set ERRAND_MODEL (e.g. openai:${fallbackModels.openai}) ${this.setupHint()}`);
    }
    const parsed = parseModelName(wanted);
    const providerName = parsed.provider ?? this.defaultProvider();
    if (providerName === undefined) {
      throw new ErrandError('not_configured', `no model provider is configured for "${wanted}": ${this.setupHint()}`);
    }
    const provider = this.providers.get(providerName);
    if (!provider) {
      throw new ErrandError(
        'not_configured',
        `unknown model provider "${providerName}" in "${wanted}": use one of ${[...this.providers.keys()].join(', ')}, or add "${providerName}" to ERRAND_MODEL_ENDPOINTS`,
      );
    }
    if (parsed.model === '') throw new ErrandError('invalid_request', `the model name "${wanted}" has no model after "${providerName}:"`);
    if (provider.missing) throw new ErrandError('not_configured', `the model provider "${providerName}" is not configured: ${provider.missing}`);
    return { client: this.client(provider), model: parsed.model, name: `${providerName}:${parsed.model}` };
  }

  list(): string[] {
    const names = [this.defaultModel(), ...this.options.config.models.map((m) => this.qualify(m))];
    for (const provider of this.providers.values()) names.push(...provider.models.map((m) => `${provider.provider}:${m}`));
    const usable = names.filter((n): n is string => n !== null && this.usable(n));
    return [...new Set(usable)];
  }

  defaultModel(): string | null {
    const configured = this.options.config.defaultModel;
    if (configured) return this.qualify(configured);
    const { openaiApiKey, openaiBaseUrl, anthropicApiKey, anthropicBaseUrl } = this.options.config;
    // Only hosted providers have a model worth guessing; a local server's models are its own.
    if (openaiApiKey && !openaiBaseUrl) return `openai:${fallbackModels.openai}`;
    if (anthropicApiKey && !anthropicBaseUrl) return `anthropic:${fallbackModels.anthropic}`;
    const listed = this.options.config.models.map((m) => this.qualify(m)).find((n) => n !== null && this.usable(n));
    if (listed) return listed;
    for (const provider of this.providers.values()) {
      if (!provider.missing && provider.models[0]) return `${provider.provider}:${provider.models[0]}`;
    }
    return null;
  }

  /** Every key in use, for the composition root to hand to the log scrubber: a key echoed in an error is then never logged. */
  apiKeys(): string[] {
    return [...this.providers.values()].flatMap((p) => (p.apiKey ? [p.apiKey] : []));
  }

  /** Throws not_configured naming ERRAND_MODEL when the default model cannot be used: call at boot. */
  check(): void {
    const configured = this.options.config.defaultModel;
    if (!configured) return;
    try {
      this.resolve(configured);
    } catch (error) {
      if (error instanceof ErrandError) throw new ErrandError('not_configured', `ERRAND_MODEL=${configured}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** The provider for bare model names: ERRAND_MODEL's, else the first configured one. */
  private defaultProvider(): string | undefined {
    const fromDefault = this.options.config.defaultModel ? parseModelName(this.options.config.defaultModel).provider : undefined;
    if (fromDefault && this.providers.has(fromDefault)) return fromDefault;
    for (const provider of this.providers.values()) if (!provider.missing) return provider.provider;
    return undefined;
  }

  private qualify(name: string): string | null {
    const parsed = parseModelName(name);
    const provider = parsed.provider ?? this.defaultProvider();
    return provider === undefined || parsed.model === '' ? null : `${provider}:${parsed.model}`;
  }

  private usable(name: string): boolean {
    const provider = this.providers.get(parseModelName(name).provider ?? '');
    return provider !== undefined && provider.missing === undefined;
  }

  private setupHint(): string {
    return 'set OPENAI_API_KEY, ANTHROPIC_API_KEY, or OPENAI_BASE_URL / ERRAND_MODEL_ENDPOINTS for a local server (see docs/models.md)';
  }

  private client(provider: Provider): ModelClient {
    let client = this.clients.get(provider.provider);
    if (!client) {
      const common = {
        provider: provider.provider,
        keyVariable: provider.keyVariable,
        baseUrlVariable: provider.baseUrlVariable,
        apiKey: provider.apiKey,
        baseUrl: provider.baseUrl,
        retry: this.retry,
        timeoutMs: this.options.config.modelTimeoutMs,
        ...(this.options.log ? { log: this.options.log.child({ provider: provider.provider }) } : {}),
      };
      client = provider.api === 'anthropic' ? new AnthropicClient(common) : new OpenAiCompatibleClient(common);
      this.clients.set(provider.provider, client);
    }
    return client;
  }
}
