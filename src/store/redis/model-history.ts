import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock, Log, ModelHistory, ModelMessage } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';

const ToolCall = z.object({ id: z.string(), name: z.string(), arguments: z.string() });

/** Our own record, written by this class: read strictly, dropped (not crashed on) if it does not parse. */
export const StoredModelMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(ToolCall) }),
  z.object({ role: z.literal('tool'), toolCallId: z.string(), name: z.string(), content: z.string(), isError: z.boolean().optional() }),
]);
export type StoredModelMessage = z.infer<typeof StoredModelMessage>;

/** One JSON value per agent, expiring a day after the agent does. */
export class RedisModelHistory implements ModelHistory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly log?: Log,
  ) {}

  async load(agentId: string): Promise<ModelMessage[] | null> {
    const text = await this.redis.get(this.keys.modelHistory(agentId));
    if (text === null) return null;
    const parsed = z.array(StoredModelMessage).safeParse(safeJson(text));
    if (!parsed.success) {
      this.log?.warn({ agentId }, 'stored model history is unreadable; resuming without it');
      return null;
    }
    return parsed.data.map((message) => (message.role === 'tool' && message.isError === undefined ? omitIsError(message) : message)) as ModelMessage[];
  }

  async save(agentId: string, messages: ModelMessage[], expiresAt: string): Promise<void> {
    const expiry = Math.max(new Date(expiresAt).getTime(), this.clock.now().getTime()) + expiryGraceSeconds * 1000;
    await this.redis.set(this.keys.modelHistory(agentId), JSON.stringify(messages), 'PXAT', expiry);
  }

  async clear(agentId: string): Promise<void> {
    await this.redis.del(this.keys.modelHistory(agentId));
  }
}

function omitIsError(message: Extract<StoredModelMessage, { role: 'tool' }>): ModelMessage {
  return { role: 'tool', toolCallId: message.toolCallId, name: message.name, content: message.content };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
