/** A provider-neutral chat with tool calls; adapters translate to OpenAI or Anthropic shapes. */
export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface ModelToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model produced it; validated by the engine, never trusted. */
  arguments: string;
}

export interface ModelTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  /** The model name without the provider prefix. */
  model: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  maxOutputTokens?: number;
}

export interface ModelResponse {
  text: string;
  /**
   * The model's reasoning when the provider returns it (Anthropic `thinking` blocks; the
   * `reasoning_content` / `reasoning` fields or a leading `<think>…</think>` of OpenAI-compatible
   * servers). Shown as `thinking` events; never sent back to the model.
   */
  reasoning?: string;
  toolCalls: ModelToolCall[];
  usage: { inputTokens: number; outputTokens: number };
  stopReason: 'end' | 'tool_calls' | 'max_tokens' | 'other';
}

export interface ModelClient {
  /**
   * One model call, retried on rate limits and server errors. Rejects with ErrandError
   * `model_failed` (with a fix-it message), or `aborted` as soon as `signal` aborts.
   */
  complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse>;
}

export interface ResolvedModel {
  client: ModelClient;
  /** The provider's own model name, without the prefix: what goes into `ModelRequest.model`. */
  model: string;
  /** The full `provider:model` name, for records and events. */
  name: string;
}

/** Resolves `provider:model` to a client; throws not_configured with a fix-it message. */
export interface ModelRegistry {
  /** An empty name means the default model. */
  resolve(model: string): ResolvedModel;
  /** The models this server can run, for `GET /v0/models`. */
  list(): string[];
  defaultModel(): string | null;
}

/**
 * An agent's model conversation (without the system prompt), kept between runs so a follow-up
 * after `finished` resumes where the agent left off. Expires with the agent.
 */
export interface ModelHistory {
  load(agentId: string): Promise<ModelMessage[] | null>;
  save(agentId: string, messages: ModelMessage[], expiresAt: string): Promise<void>;
  clear(agentId: string): Promise<void>;
}
