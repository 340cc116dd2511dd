import { describe, expect, it } from '@jest/globals';
import { ApiAgentView } from '../../src/cli/api-client.js';
import { renderDetails, renderEvent, renderTable } from '../../src/cli/render.js';

const hostile = '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m\rover\u009b written';

describe('what the CLI prints of server text', () => {
  it('never passes a terminal escape, carriage return or C1 control through from titles, output or summaries', () => {
    const line = renderEvent({ event: 'tool_output', id: '1', data: { callId: 'a', stream: 'stdout', text: `${hostile}\n` } }, true)!;
    expect(line).toBe('  │ ?]0;pwned?red?over? written');
    const agent = ApiAgentView.parse({ id: 'ag_1', name: hostile, status: 'FINISHED', createdAt: '2026-12-02T03:00:00.000Z', summary: `done\n${hostile}` });
    for (const text of [renderTable([agent]), renderDetails(agent)]) {
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(text).toContain('red');
    }
    // Newlines and tabs of multi-line text stay.
    expect(renderEvent({ event: 'model_message', id: '2', data: { text: 'a\n\tb' } }, true)).toBe('agent: a\n\tb');
  });

  it("shows the model's reasoning with -v only", () => {
    const event = { event: 'thinking', id: '3', data: { text: `The cookie expires early.${hostile}` } };
    expect(renderEvent(event, false)).toBeNull();
    expect(renderEvent(event, true)).toBe('thinking: The cookie expires early.?]0;pwned?red?over? written');
  });
});
