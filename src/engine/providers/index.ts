export { AnthropicClient, type AnthropicOptions } from './anthropic.js';
export { OpenAiCompatibleClient, placeholderApiKey, type OpenAiCompatibleOptions } from './openai-compatible.js';
export { ProviderRegistry, parseModelName, fallbackModels, type ModelConfig, type ModelRegistryOptions } from './registry.js';
export { defaultRetryPolicy, type RetryPolicy } from './retry.js';
