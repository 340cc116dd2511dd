import { fakeId, startFakeModelServer, type FakeApi, type FakeModelServer, type FakeStep, type SeenMessage } from './fake-model-script.js';

export { Gate, type FakeModelServer, type FakeReply, type FakeStep, type SeenRequest } from './fake-model-script.js';

type Json = Record<string, unknown>;

/**
 * An Anthropic Messages API server on 127.0.0.1 that replays a script; give the real
 * `@anthropic-ai/sdk` client its `baseUrl` (the SDK adds `/v1/messages`). It rejects, as the real
 * API does, tool calls without results in the next user turn and results placed after text.
 */
export function startFakeAnthropic(steps: FakeStep[] = []): Promise<FakeModelServer> {
  return startFakeModelServer(anthropicApi, steps, '');
}

const anthropicApi: FakeApi = {
  name: 'fake-anthropic',
  isModelCall: (method, path) => method === 'POST' && path === '/v1/messages',
  read(body) {
    const messages: SeenMessage[] = [];
    const system = systemText(body['system']);
    if (system) messages.push({ role: 'system', text: system });
    for (const message of asArray(body['messages'])) messages.push(...readMessage(message));
    const tools = asArray(body['tools']).map((tool) => String(tool['name'] ?? ''));
    return { model: String(body['model'] ?? ''), tools, messages };
  },
  validate(body) {
    if (typeof body['model'] !== 'string' || body['model'] === '') return 'model: Field required';
    if (typeof body['max_tokens'] !== 'number' || body['max_tokens'] < 1) return 'max_tokens: Field required';
    if (body['stream'] === true) return 'this fake does not stream';
    const messages = asArray(body['messages']);
    if (messages.length === 0) return 'messages: at least one message is required';
    if (messages[0]!['role'] !== 'user') return 'messages: first message must use the "user" role';
    for (const [t, tool] of asArray(body['tools']).entries()) {
      if (typeof tool['name'] !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool['name'])) return `tools.${t}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if ((tool['input_schema'] as Json | undefined)?.['type'] !== 'object') return `tools.${t}.input_schema.type: Input should be 'object'`;
    }
    let pending: string[] = [];
    for (const [i, message] of messages.entries()) {
      const role = message['role'];
      if (role !== 'user' && role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
      const blocks = blocksOf(message['content']);
      if (blocks.length === 0) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      for (const block of blocks) {
        if (block['type'] === 'text' && String(block['text'] ?? '').trim() === '') return `messages.${i}: text content blocks must contain non-whitespace text`;
      }
      const results = blocks.filter((b) => b['type'] === 'tool_result');
      if (pending.length > 0) {
        const answered = new Set(results.map((r) => String(r['tool_use_id'])));
        const missing = pending.filter((id) => !answered.has(id));
        if (role !== 'user' || missing.length > 0) {
          return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ') || pending.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
        }
        const firstOther = blocks.findIndex((b) => b['type'] !== 'tool_result');
        if (firstOther !== -1 && firstOther < results.length) return `messages.${i}: tool_result blocks must come first in the content, before any text`;
      } else if (results.length > 0) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(results[0]!['tool_use_id'])}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
      const uses = blocks.filter((b) => b['type'] === 'tool_use');
      if (role === 'user' && uses.length > 0) return `messages.${i}: tool_use blocks are only allowed in assistant messages`;
      pending = uses.map((u) => String(u['id']));
    }
    return undefined;
  },
  success(reply, request, usage) {
    const content: Json[] = [];
    if (reply.thinking) content.push({ type: 'thinking', thinking: reply.thinking, signature: `fake-signature-${request.index}` });
    if (reply.text) content.push({ type: 'text', text: reply.text, citations: null });
    for (const [n, call] of (reply.toolCalls ?? []).entries()) {
      const input = typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments;
      content.push({ type: 'tool_use', id: call.id ?? fakeId('toolu_', request.index, n), name: call.name, input });
    }
    const stop = reply.stopReason === 'max_tokens' ? 'max_tokens' : (reply.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn';
    return {
      id: `msg_fake${request.index}`,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        service_tier: 'standard',
      },
    };
  },
  errorBody(status, message) {
    const types: Record<number, string> = {
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      529: 'overloaded_error',
    };
    return { type: 'error', error: { type: types[status] ?? 'api_error', message } };
  },
  headers: (index) => ({ 'request-id': `req_fake${index}` }),
};

function readMessage(message: Json): SeenMessage[] {
  const role = message['role'] === 'assistant' ? 'assistant' : 'user';
  const blocks = blocksOf(message['content']);
  const out: SeenMessage[] = [];
  // Tool results become `tool` messages, so checks read the same as for the OpenAI fake.
  for (const block of blocks.filter((b) => b['type'] === 'tool_result')) {
    const result: SeenMessage = { role: 'tool', text: blockText(block['content']), toolCallId: String(block['tool_use_id']) };
    if (block['is_error'] === true) result.isError = true;
    out.push(result);
  }
  const text = blocks.filter((b) => b['type'] === 'text').map((b) => String(b['text'])).join('');
  const uses = blocks.filter((b) => b['type'] === 'tool_use');
  if (role === 'assistant') {
    const seen: SeenMessage = { role, text };
    if (uses.length > 0) seen.toolCalls = uses.map((u) => ({ id: String(u['id']), name: String(u['name']), arguments: u['input'] }));
    out.push(seen);
  } else if (text !== '' || out.length === 0) {
    out.push({ role, text });
  }
  return out;
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  return blockText(system);
}

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content).map((b) => (typeof b['text'] === 'string' ? b['text'] : '')).join('');
}

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return asArray(content);
}

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}
