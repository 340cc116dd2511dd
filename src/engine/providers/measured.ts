import { isErrandError, type Metrics, type ModelRegistry, type ResolvedModel } from '../../core/index.js';

/**
 * The registry with every model call counted: tokens used and failures (after the client's own
 * retries) by provider, the part of `provider:model` before the colon.
 */
export function measuredModels(registry: ModelRegistry, metrics: Metrics): ModelRegistry {
  return {
    list: () => registry.list(),
    defaultModel: () => registry.defaultModel(),
    resolve(model: string): ResolvedModel {
      const resolved = registry.resolve(model);
      const provider = resolved.name.split(':')[0] ?? 'unknown';
      return {
        ...resolved,
        client: {
          async complete(request, signal) {
            try {
              const response = await resolved.client.complete(request, signal);
              metrics.modelTokens(provider, response.usage.inputTokens, response.usage.outputTokens);
              return response;
            } catch (error) {
              const code = isErrandError(error) ? error.code : 'unknown';
              if (code !== 'aborted') metrics.modelError(provider, code);
              throw error;
            }
          },
        },
      };
    },
  };
}
