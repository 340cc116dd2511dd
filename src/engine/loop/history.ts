import type { ModelMessage } from '../../core/index.js';

export interface CompactOptions {
  /** The newest tool results (and the calls that made them) kept whole. */
  keepRecent: number;
  /** An older tool result longer than this is cut to its start. */
  oldResultChars: number;
  /** An older tool call argument string longer than this is replaced by a note. */
  oldArgumentChars: number;
}

const droppedNote = 'of this older result were dropped to save context; run the tool again if you need them]';

export const defaultCompact: CompactOptions = { keepRecent: 8, oldResultChars: 600, oldArgumentChars: 400 };

/**
 * Keeps the context bounded: tool results older than the newest `keepRecent` are cut to their
 * start, and long strings in older tool calls (a whole file given to write_file) are replaced by
 * a note. The model can always run the tool again. Changes `messages` in place; idempotent.
 */
export function compactHistory(messages: ModelMessage[], options: CompactOptions = defaultCompact): void {
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'tool') continue;
    seen += 1;
    if (seen <= options.keepRecent) continue;
    if (message.content.length > options.oldResultChars && !message.content.endsWith(droppedNote)) {
      const cut = message.content.length - options.oldResultChars;
      messages[i] = { ...message, content: `${message.content.slice(0, options.oldResultChars)}\n[… ${cut} more characters ${droppedNote}` };
    }
  }
  const recentCalls = new Set<string>();
  let kept = 0;
  for (let i = messages.length - 1; i >= 0 && kept < options.keepRecent; i--) {
    const message = messages[i]!;
    if (message.role === 'tool') {
      recentCalls.add(message.toolCallId);
      kept += 1;
    }
  }
  for (const [i, message] of messages.entries()) {
    if (message.role !== 'assistant' || message.toolCalls.length === 0) continue;
    if (message.toolCalls.every((call) => recentCalls.has(call.id))) continue;
    messages[i] = {
      ...message,
      toolCalls: message.toolCalls.map((call) => (recentCalls.has(call.id) ? call : { ...call, arguments: shortenArguments(call.arguments, options.oldArgumentChars) })),
    };
  }
}

/** The same JSON object with long string values replaced by a note, so it stays valid JSON. */
function shortenArguments(raw: string, limit: number): string {
  if (raw.length <= limit) return raw;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return '{}';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '{}';
  const shortened = Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, typeof v === 'string' && v.length > limit ? `[${v.length} characters, dropped from the history]` : v]),
  );
  return JSON.stringify(shortened);
}
