import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { apiHarnessPerTest, readSse } from './harness.js';

const h = apiHarnessPerTest();
const Thinking = z.object({ runId: z.string(), text: z.string(), at: z.iso.datetime() }).strict();

describe('thinking on API v1 run streams and v0', () => {
  it('sends the reasoning as thinking events in order, and v0 conversations leave it out as Cursor does', async () => {
    const created = await h.call('POST', '/v1/agents', { body: { prompt: { text: 'why is the login test flaky?' }, repos: [{ url: 'acme/web' }] } });
    expect(created.status).toBe(201);
    const { agent, run } = created.json as { agent: { id: string }; run: { id: string } };
    await h.drive(
      agent.id,
      'preparing',
      'running',
      { type: 'thinking', text: 'The cookie may expire between steps.' },
      { type: 'model_message', text: 'Looking at the session code.' },
      { type: 'thinking', text: '   ' },
      { type: 'summary', text: 'Fixed the race.', branch: 'errand/x', prUrl: null, diffstat: null },
      'finished',
    );
    const { events } = await readSse(await fetch(`${h.url}/v1/agents/${agent.id}/runs/${run.id}/stream`, { headers: { authorization: `Bearer ${h.keys.alice}` } }));
    const typed = events.filter((e) => e.event !== 'heartbeat' && e.event !== 'status');
    expect(typed.map((e) => e.event)).toEqual(['thinking', 'assistant', 'result', 'done']);
    expect(Thinking.parse(typed[0]!.data)).toMatchObject({ runId: run.id, text: 'The cookie may expire between steps.' });
    expect(typed[0]!.id).toMatch(/^\d+-\d+$/);

    const conversation = await h.call('GET', `/v0/agents/${agent.id}/conversation`);
    expect((conversation.json['messages'] as { type: string; text: string }[]).map((m) => [m.type, m.text])).toEqual([
      ['user_message', 'why is the login test flaky?'],
      ['assistant_message', 'Looking at the session code.'],
    ]);
  });
});
