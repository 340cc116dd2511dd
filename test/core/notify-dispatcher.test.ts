import { NotifyDispatcher, type Agent, type Conversation, type Notifier, type StoredEvent, type View } from '../../src/core/index.js';
import { coreHarness, silentLog, slackThread, slackUser, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

class RecordingNotifier implements Notifier {
  readonly kind = 'slack' as const;
  readonly batches: { agent: Agent; conversation: Conversation; events: StoredEvent[]; view: View }[] = [];
  failNext = 0;

  async notify(agent: Agent, conversation: Conversation, events: StoredEvent[], view: View): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Slack is down');
    }
    this.batches.push({ agent, conversation, events, view });
  }

  statuses(): string[] {
    return this.batches.flatMap((b) => b.events).flatMap((e) => (e.type === 'status' ? [e.status] : []));
  }
}

describe('notification dispatcher', () => {
  let h: CoreHarness;
  const dispatchers: NotifyDispatcher[] = [];
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.close();
    await h.close();
  });

  async function dispatcher(notifier: Notifier, intervalMs = 20): Promise<NotifyDispatcher> {
    const d = new NotifyDispatcher({ ...h.stores, notifiers: [notifier], log: silentLog, intervalMs, sweepMs: 60_000 });
    await d.start();
    dispatchers.push(d);
    return d;
  }

  it('delivers every event to the conversation once, in order, across several dispatchers', async () => {
    const notifier = new RecordingNotifier();
    await dispatcher(notifier);
    await dispatcher(notifier);
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b go' });
    await h.service.transition(agent.id, 'preparing');
    await h.service.transition(agent.id, 'running');
    await h.service.transition(agent.id, 'finished');
    await waitFor(() => notifier.statuses().at(-1) === 'finished', { what: 'the final status' });
    expect(notifier.statuses()).toEqual(['queued', 'preparing', 'running', 'finished']);
  });

  it('batches events that arrive within the interval', async () => {
    const notifier = new RecordingNotifier();
    await dispatcher(notifier, 300);
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b go' });
    for (let i = 0; i < 20; i++) await h.stores.events.append(agent.id, { type: 'log', phase: 'install', stream: 'stdout', text: `line ${i}` });
    await waitFor(() => notifier.batches.flatMap((b) => b.events).length === 21, { what: 'all events' });
    expect(notifier.batches.length).toBeLessThanOrEqual(3);
  });

  it('offers events again after a notifier failure, so nothing is lost', async () => {
    const notifier = new RecordingNotifier();
    notifier.failNext = 1;
    await dispatcher(notifier);
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b go' });
    await h.service.transition(agent.id, 'preparing');
    await waitFor(() => notifier.statuses().includes('preparing'), { what: 'redelivery' });
    expect(notifier.statuses()).toEqual(['queued', 'preparing']);
  });

  it('resumes from its cursor after a restart without re-posting', async () => {
    const first = new RecordingNotifier();
    const d = await dispatcher(first);
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b go' });
    await waitFor(() => first.statuses().length === 1, { what: 'first delivery' });
    await d.close();
    dispatchers.splice(dispatchers.indexOf(d), 1);
    await h.service.transition(agent.id, 'preparing');
    const second = new RecordingNotifier();
    const restarted = await dispatcher(second);
    restarted.kick(agent.id);
    await waitFor(() => second.statuses().length === 1, { what: 'delivery after restart' });
    expect(second.statuses()).toEqual(['preparing']);
  });

  it('tells the notifier what the destination may see', async () => {
    const notifier = new RecordingNotifier();
    await dispatcher(notifier);
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), displaySummary: false });
    await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b go' });
    await waitFor(() => notifier.batches.length === 1, { what: 'a batch' });
    expect(notifier.batches[0]?.view).toBe('status');
  });
});
