import { describe, expect, it } from '@jest/globals';
import type { ModelMessage } from '../../src/core/index.js';
import { compactHistory } from '../../src/engine/loop/index.js';

function step(n: number, output: string, content = 'x'.repeat(2000)): ModelMessage[] {
  return [
    { role: 'assistant', content: '', toolCalls: [{ id: `c${n}`, name: 'write_file', arguments: JSON.stringify({ path: `f${n}.txt`, content }) }] },
    { role: 'tool', toolCallId: `c${n}`, name: 'write_file', content: output },
  ];
}

describe('keeping the conversation bounded', () => {
  it('cuts old tool results and long old arguments but keeps the recent steps whole', () => {
    const messages: ModelMessage[] = [{ role: 'user', content: 'task' }];
    for (let n = 1; n <= 5; n++) messages.push(...step(n, `out${n} `.repeat(500)));
    compactHistory(messages, { keepRecent: 2, oldResultChars: 100, oldArgumentChars: 50 });

    const tools = messages.filter((m) => m.role === 'tool');
    expect(tools.slice(0, 3).every((m) => m.content.length < 400 && m.content.includes('dropped to save context'))).toBe(true);
    expect(tools.slice(3).every((m) => m.content.length === 'out5 '.length * 500)).toBe(true);

    const calls = messages.flatMap((m) => (m.role === 'assistant' ? m.toolCalls : []));
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ path: 'f1.txt', content: '[2000 characters, dropped from the history]' });
    expect(JSON.parse(calls[4]!.arguments).content).toHaveLength(2000);

    const again = structuredClone(messages);
    compactHistory(again, { keepRecent: 2, oldResultChars: 100, oldArgumentChars: 50 });
    expect(again).toEqual(messages);
  });
});
