import { Anthropic } from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageCreateParamsNonStreaming, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { z } from 'zod';
import { ErrandError, type Log, type ModelClient, type ModelMessage, type ModelRequest, type ModelResponse, type ModelToolCall } from '../../core/index.js';
import { classifyHttpFailure, connectionFailure, unexpectedFailure, type ProviderIdentity } from './failures.js';
import { abortedError, defaultRetryPolicy, withRetries, type AttemptFailure, type RetryPolicy } from './retry.js';
import { placeholderApiKey } from './openai-compatible.js';

/** The Messages API insists on `max_tokens`; this is used when the request sets none. */
export const defaultAnthropicMaxTokens = 8_192;

export interface AnthropicOptions extends ProviderIdentity {
  apiKey?: string | undefined;
  /** Unset means api.anthropic.com; set for a proxy (LiteLLM, a gateway) or a test fake. */
  baseUrl?: string | undefined;
  retry?: RetryPolicy;
  /** Per attempt. */
  timeoutMs?: number;
  log?: Log;
}

/** Anthropic's Messages API with tool use. */
export class AnthropicClient implements ModelClient {
  private readonly sdk: Anthropic;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: AnthropicOptions) {
    this.sdk = new Anthropic({
      apiKey: options.apiKey || placeholderApiKey,
      // Passed explicitly (null = the SDK default) so the SDK never reads ANTHROPIC_BASE_URL itself.
      baseURL: options.baseUrl ?? null,
      authToken: null,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      logLevel: 'off',
    });
    this.retry = options.retry ?? defaultRetryPolicy;
  }

  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    const body = toAnthropicBody(request);
    const raw = await withRetries({
      attempt: (attemptSignal) => this.sdk.messages.create(body, attemptSignal ? { signal: attemptSignal } : {}),
      classify: (error) => this.classify(error, request.model),
      policy: this.retry,
      signal,
      log: this.options.log,
      provider: this.options.provider,
    });
    return fromAnthropic(raw, this.options.provider, this.options.log);
  }

  private classify(error: unknown, model: string): AttemptFailure {
    if (error instanceof Anthropic.APIUserAbortError) return { kind: 'final', error: abortedError(error) };
    if (error instanceof Anthropic.APIConnectionError) return connectionFailure(error);
    if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
      return classifyHttpFailure(this.options, { status: error.status, headers: error.headers, message: error.message, model, error });
    }
    return unexpectedFailure(this.options.provider, error);
  }
}

/**
 * Our neutral conversation in the Messages API's shape: system text goes in `system`, tool calls
 * become `tool_use` blocks, and tool results (with any user text after them) share one user turn,
 * since the API wants every result for an assistant turn in the very next user message.
 */
export function toAnthropicBody(request: ModelRequest): MessageCreateParamsNonStreaming {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        break;
      case 'user':
        push('user', textBlocks(message.content));
        break;
      case 'assistant':
        push('assistant', [
          ...textBlocks(message.content),
          ...message.toolCalls.map((call): ContentBlockParam => ({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call) })),
        ]);
        break;
      case 'tool':
        push('user', [toolResult(message)]);
        break;
    }
  }
  const body: MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.maxOutputTokens ?? defaultAnthropicMaxTokens,
    messages: messages as MessageParam[],
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool): Tool => ({
      name: tool.name,
      description: tool.description,
      input_schema: { type: 'object', ...tool.parameters },
    }));
  }
  return body;
}

/** The API rejects empty text blocks, so empty text is left out. */
function textBlocks(text: string): ContentBlockParam[] {
  return text.trim() === '' ? [] : [{ type: 'text', text }];
}

function toolResult(message: Extract<ModelMessage, { role: 'tool' }>): ContentBlockParam {
  const block: ContentBlockParam = { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content };
  if (message.isError) block.is_error = true;
  return block;
}

/** `tool_use.input` must be an object; arguments that are not a JSON object are passed as `{}`. */
function toolInput(call: ModelToolCall): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(call.arguments || '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The parts of a Messages API response we read; tolerant of block types we do not use (redacted_thinking). */
const AnthropicMessage = z.looseObject({
  content: z.array(
    z.union([
      z.looseObject({ type: z.literal('text'), text: z.string() }),
      z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
      z.looseObject({ type: z.literal('thinking'), thinking: z.string() }),
      z.looseObject({ type: z.string() }),
    ]),
  ),
  stop_reason: z.string().nullish(),
  usage: z
    .looseObject({
      input_tokens: z.number().nullish(),
      output_tokens: z.number().nullish(),
      cache_creation_input_tokens: z.number().nullish(),
      cache_read_input_tokens: z.number().nullish(),
    })
    .nullish(),
});

export function fromAnthropic(raw: unknown, provider: string, log?: Log): ModelResponse {
  const parsed = AnthropicMessage.safeParse(raw);
  if (!parsed.success) {
    log?.warn({ provider, issues: parsed.error.issues.slice(0, 5) }, 'model response malformed');
    throw new ErrandError('model_failed', `the ${provider} model provider sent a response that is not a message (no content blocks)`);
  }
  const message = parsed.data;
  const texts: string[] = [];
  const thoughts: string[] = [];
  const toolCalls: ModelToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && 'text' in block && typeof block.text === 'string') texts.push(block.text);
    if (block.type === 'thinking' && 'thinking' in block && typeof block.thinking === 'string') thoughts.push(block.thinking);
    if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
      toolCalls.push({ id: String(block.id), name: String(block.name), arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  const usage = message.usage;
  const reasoning = thoughts.join('\n\n').trim();
  return {
    text: texts.join(''),
    ...(reasoning ? { reasoning } : {}),
    toolCalls,
    // Cached prompt tokens are still input the model read; they count.
    usage: {
      inputTokens: (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0),
      outputTokens: usage?.output_tokens ?? 0,
    },
    stopReason: stopReason(message.stop_reason, toolCalls.length > 0),
  };
}

function stopReason(reason: string | null | undefined, hasToolCalls: boolean): ModelResponse['stopReason'] {
  if (hasToolCalls || reason === 'tool_use') return 'tool_calls';
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'end';
  if (reason === 'max_tokens') return 'max_tokens';
  return 'other';
}
