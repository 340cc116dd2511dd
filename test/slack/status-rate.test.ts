import type { Agent, AgentStatus } from '../../src/core/index.js';
import { slackHarnessPerTest } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

describe('Slack: status message edits', () => {
  const h = slackHarnessPerTest();

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;

  it('edits a status message at most once a second through a burst of 20 changes, and the last state is what it shows', async () => {
    await h.command('repo=acme/app fix it');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const root = h.slack.messages[0]!.ts;
    await waitFor(() => h.slack.okCalls('reactions.add').length === 1, { what: 'the first render' });

    // 20 changes back and forth, then the final one, as fast as the store takes them.
    const cycle: AgentStatus[] = ['preparing', 'running', 'queued'];
    for (let i = 0; i < 20; i++) await h.core.service.transition(agent!.id, cycle[i % cycle.length]!);
    await h.core.service.transition(agent!.id, 'finished');

    await waitFor(() => h.slack.messages.find((m) => m.ts === root && JSON.stringify(m.blocks).includes('Finished')), { what: 'the final status on the message', timeoutMs: 30_000 });
    const edits = h.slack.calls.filter((c) => c.method === 'chat.update' && c.args.ts === root);
    expect(edits.length).toBeGreaterThan(0);
    // Coalesced: far fewer edits than changes.
    expect(edits.length).toBeLessThan(21);
    // The gate restarts its window when an edit is answered, so arrivals are a second apart (less the clock's rounding).
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(990);
    // The last edit is the final state, and nothing older is sent after it.
    expect(JSON.stringify(edits.at(-1)!.args.blocks)).toContain('Finished');
    expect(h.slack.messages.find((m) => m.ts === root)!.text).toMatch(/Finished/i);
  });

  it('sends the final state that waited for its window when the front end stops', async () => {
    await h.command('repo=acme/app fix it');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const root = h.slack.messages[0]!.ts;
    await waitFor(() => h.slack.okCalls('reactions.add').length === 1, { what: 'the first render' });
    await h.core.service.transition(agent!.id, 'preparing');
    await waitFor(() => h.slack.okCalls('chat.update').some((c) => JSON.stringify(c.args.blocks).includes('Preparing')), { what: 'the preparing status' });
    await h.core.service.transition(agent!.id, 'running');
    await h.core.service.transition(agent!.id, 'finished');
    // The finish is rendered but waits for the window; stopping sends it at once.
    await waitFor(() => h.frontend.notifier.pendingEdits > 0 || h.slack.messages.some((m) => m.ts === root && JSON.stringify(m.blocks).includes('Finished')), { what: 'the finish to be rendered' });
    await h.frontend.stop();
    expect(JSON.stringify(h.slack.messages.find((m) => m.ts === root)!.blocks)).toContain('Finished');
  });
});
