import { fakeId, startFakeModelServer, toolArguments, type FakeApi, type FakeListen, type FakeModelServer, type FakeStep, type SeenMessage } from './fake-model-script.js';

export { Gate, type FakeModelServer, type FakeReply, type FakeStep, type SeenRequest } from './fake-model-script.js';

type Json = Record<string, unknown>;

/**
 * An OpenAI-compatible chat completions server on 127.0.0.1 that replays a script; give the real
 * `openai` SDK its `baseUrl` (which ends in `/v1`, like the real one).
 */
export function startFakeOpenAi(steps: FakeStep[] = [], listen: FakeListen = {}): Promise<FakeModelServer> {
  return startFakeModelServer(openAiApi, steps, '/v1', listen);
}

const openAiApi: FakeApi = {
  name: 'fake-openai',
  isModelCall: (method, path) => method === 'POST' && path === '/v1/chat/completions',
  read(body) {
    const messages = asArray(body['messages']).map(readMessage);
    const tools = asArray(body['tools']).map((tool) => String((tool['function'] as Json | undefined)?.['name'] ?? ''));
    return { model: String(body['model'] ?? ''), tools, messages };
  },
  validate(body) {
    if (typeof body['model'] !== 'string' || body['model'] === '') return "you must provide a model parameter";
    const messages = asArray(body['messages']);
    if (messages.length === 0) return "'messages' must contain at least one message";
    if (body['stream'] === true) return 'this fake does not stream';
    if (Array.isArray(body['tools']) && body['tools'].length === 0) return "[] is too short - 'tools'";
    // Every tool call must be answered by a tool message right after its assistant message.
    let open: string[] = [];
    for (const [i, message] of messages.entries()) {
      const role = message['role'];
      if (role === 'tool') {
        const id = String(message['tool_call_id'] ?? '');
        if (!open.includes(id)) return `messages[${i}]: a message with role 'tool' must be a response to a preceding message with 'tool_calls' (id ${id})`;
        open = open.filter((o) => o !== id);
        continue;
      }
      if (open.length > 0) return `messages[${i}]: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id' (missing ${open.join(', ')})`;
      if (role === 'assistant') {
        const calls = asArray(message['tool_calls']);
        if (Array.isArray(message['tool_calls']) && calls.length === 0) return `messages[${i}].tool_calls: [] is too short`;
        if (calls.length === 0 && (message['content'] === null || message['content'] === undefined)) return `messages[${i}]: assistant content is required unless tool_calls is set`;
        open = calls.map((c) => String(c['id']));
      } else if (role !== 'system' && role !== 'user' && role !== 'developer') {
        return `messages[${i}].role: invalid value ${JSON.stringify(role)}`;
      }
    }
    return undefined;
  },
  success(reply, request, usage) {
    const toolCalls = (reply.toolCalls ?? []).map((call, n) => ({
      id: call.id ?? fakeId('call_', request.index, n),
      type: 'function',
      function: { name: call.name, arguments: toolArguments(call) },
    }));
    const finish = reply.stopReason === 'max_tokens' ? 'length' : toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const message: Json = { role: 'assistant', content: reply.text ?? (toolCalls.length > 0 ? null : ''), refusal: null, annotations: [] };
    if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
    if (reply.thinking) {
      const as = reply.reasoningAs ?? 'reasoning_content';
      if (as === 'think_tags') message['content'] = `<think>\n${reply.thinking}\n</think>\n\n${reply.text ?? ''}`;
      else message[as] = reply.thinking;
    }
    return {
      id: `chatcmpl-fake${request.index}`,
      object: 'chat.completion',
      created: Math.floor(request.receivedAt / 1000),
      model: request.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: null,
    };
  },
  errorBody(status, message) {
    const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
    const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
    return { error: { message, type, param: null, code } };
  },
  headers: (index) => ({ 'x-request-id': `req_fake${index}` }),
};

function readMessage(message: Json): SeenMessage {
  const role = String(message['role']) as SeenMessage['role'];
  const seen: SeenMessage = { role: role === ('developer' as string) ? 'system' : role, text: contentText(message['content']) };
  const calls = asArray(message['tool_calls']);
  if (calls.length > 0) {
    seen.toolCalls = calls.map((call) => {
      const fn = (call['function'] ?? {}) as Json;
      return { id: String(call['id']), name: String(fn['name']), arguments: parseJson(String(fn['arguments'] ?? '')) };
    });
  }
  if (role === 'tool') seen.toolCallId = String(message['tool_call_id']);
  return seen;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: Json) => (typeof part['text'] === 'string' ? part['text'] : '')).join('');
  return '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}
