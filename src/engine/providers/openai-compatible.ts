import { OpenAI } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { ErrandError, type Log, type ModelClient, type ModelMessage, type ModelRequest, type ModelResponse, type ModelToolCall } from '../../core/index.js';
import { classifyHttpFailure, connectionFailure, unexpectedFailure, type ProviderIdentity } from './failures.js';
import { abortedError, defaultRetryPolicy, withRetries, type AttemptFailure, type RetryPolicy } from './retry.js';

/** Sent when a local server (Ollama, llama.cpp, vLLM) needs no key: the SDK insists on one. */
export const placeholderApiKey = 'no-key-needed';

export interface OpenAiCompatibleOptions extends ProviderIdentity {
  apiKey?: string | undefined;
  /** e.g. `http://127.0.0.1:11434/v1`; unset means api.openai.com. */
  baseUrl?: string | undefined;
  retry?: RetryPolicy;
  /** Per attempt. */
  timeoutMs?: number;
  log?: Log;
  /**
   * OpenAI's newer models take `max_completion_tokens`; most compatible servers know `max_tokens`.
   * Default: the former for api.openai.com, the latter elsewhere.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
}

/** Chat completions with tool calls against any OpenAI-compatible server. */
export class OpenAiCompatibleClient implements ModelClient {
  private readonly sdk: OpenAI;
  private readonly retry: RetryPolicy;
  private readonly maxTokensField: 'max_completion_tokens' | 'max_tokens';

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.sdk = new OpenAI({
      apiKey: options.apiKey || placeholderApiKey,
      // Passed explicitly (null = the SDK default) so the SDK never reads OPENAI_BASE_URL itself.
      baseURL: options.baseUrl ?? null,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      logLevel: 'off',
    });
    this.retry = options.retry ?? defaultRetryPolicy;
    this.maxTokensField = options.maxTokensField ?? (isOfficialOpenAi(options.baseUrl) ? 'max_completion_tokens' : 'max_tokens');
  }

  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    const body = this.toBody(request);
    const raw = await withRetries({
      attempt: (attemptSignal) => this.sdk.chat.completions.create(body, attemptSignal ? { signal: attemptSignal } : {}),
      classify: (error) => this.classify(error, request.model),
      policy: this.retry,
      signal,
      log: this.options.log,
      provider: this.options.provider,
    });
    return fromOpenAi(raw, this.options.provider, this.options.log);
  }

  private toBody(request: ModelRequest): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = { model: request.model, messages: request.messages.map(toOpenAiMessage) };
    if (request.tools.length > 0) {
      body.tools = request.tools.map((tool): ChatCompletionTool => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
    }
    if (request.maxOutputTokens !== undefined) body[this.maxTokensField] = request.maxOutputTokens;
    return body;
  }

  private classify(error: unknown, model: string): AttemptFailure {
    if (error instanceof OpenAI.APIUserAbortError) return { kind: 'final', error: abortedError(error) };
    if (error instanceof OpenAI.APIConnectionError) return connectionFailure(error);
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      return classifyHttpFailure(this.options, { status: error.status, headers: error.headers, message: error.message, model, error });
    }
    return unexpectedFailure(this.options.provider, error);
  }
}

export function toOpenAiMessage(message: ModelMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      // Several servers reject an empty `tool_calls` array, so it is left out when there are none.
      return message.toolCalls.length === 0
        ? { role: 'assistant', content: message.content }
        : {
            role: 'assistant',
            content: message.content || null,
            tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
          };
    case 'tool':
      // The chat API has no error flag on tool results; the model reads it from the text.
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.isError ? `Error: ${message.content}` : message.content };
  }
}

/** The parts of a chat completion we read; tolerant, since compatible servers vary. */
const ChatCompletion = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        finish_reason: z.string().nullish(),
        message: z.looseObject({
          content: z.string().nullish(),
          /** DeepSeek, vLLM, llama.cpp (`--reasoning-format deepseek`), LM Studio. */
          reasoning_content: z.string().nullish(),
          /** OpenRouter, Ollama's OpenAI endpoint, newer vLLM; some servers send an object here (ignored). */
          reasoning: z.unknown().optional(),
          tool_calls: z
            .array(
              z.looseObject({
                id: z.string().nullish(),
                type: z.string().nullish(),
                function: z.looseObject({ name: z.string(), arguments: z.string().nullish() }).nullish(),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .min(1),
  usage: z.looseObject({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
});
type ChatCompletion = z.infer<typeof ChatCompletion>;

export function fromOpenAi(raw: unknown, provider: string, log?: Log): ModelResponse {
  const parsed = ChatCompletion.safeParse(raw);
  if (!parsed.success) {
    log?.warn({ provider, issues: parsed.error.issues.slice(0, 5) }, 'model response malformed');
    throw new ErrandError('model_failed', `the ${provider} model provider sent a response that is not a chat completion (no choices[0].message)`);
  }
  const completion: ChatCompletion = parsed.data;
  const choice = completion.choices[0]!;
  const toolCalls: ModelToolCall[] = [];
  for (const [index, call] of (choice.message.tool_calls ?? []).entries()) {
    if (!call.function) continue;
    // Some local servers leave out the id; the conversation still needs one to pair results.
    toolCalls.push({ id: call.id || `call_${index}`, name: call.function.name, arguments: call.function.arguments ?? '{}' });
  }
  const { text, thought } = splitThinkTags(choice.message.content ?? '');
  const given = choice.message.reasoning_content ?? (typeof choice.message.reasoning === 'string' ? choice.message.reasoning : '');
  const reasoning = [given, thought].map((t) => t.trim()).filter(Boolean).join('\n\n');
  return {
    text,
    ...(reasoning ? { reasoning } : {}),
    toolCalls,
    usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
    stopReason: stopReason(choice.finish_reason, toolCalls.length > 0),
  };
}

/**
 * Servers that leave a reasoning model's thoughts in the content (`<think>…</think>` first, as
 * DeepSeek-R1 and Qwen3 write them) get them split off, so the thoughts neither read as the
 * agent's message nor go back to the model in the history.
 */
export function splitThinkTags(content: string): { text: string; thought: string } {
  const match = /^\s*<think>([\s\S]*?)<\/think>\s*/.exec(content);
  if (!match) return { text: content, thought: '' };
  return { text: content.slice(match[0].length), thought: match[1] ?? '' };
}

function stopReason(finish: string | null | undefined, hasToolCalls: boolean): ModelResponse['stopReason'] {
  // Local servers often say `stop` while returning tool calls; the calls decide.
  if (hasToolCalls || finish === 'tool_calls' || finish === 'function_call') return 'tool_calls';
  if (finish === 'stop') return 'end';
  if (finish === 'length') return 'max_tokens';
  return 'other';
}

function isOfficialOpenAi(baseUrl: string | undefined): boolean {
  return baseUrl === undefined || new URL(baseUrl).hostname === 'api.openai.com';
}
