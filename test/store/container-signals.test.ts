import { coreHarness, slackThread, slackUser, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

describe('forgetting an agent from a process without Docker', () => {
  let h: CoreHarness;
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(() => h.close());

  it('asks the workers to remove the container, and the record is gone at once', async () => {
    const heard: string[] = [];
    // A worker listening, as main.ts wires it; the deleting process (web) only has the signal.
    const unsubscribe = await h.stores.containerSignals.onRemove((agentId) => heard.push(agentId));
    h.service.forgetter.useContainers(h.stores.containerSignals);
    try {
      const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=acme/web fix it' });
      await h.service.delete(agent.id, slackUser());
      await waitFor(() => heard.includes(agent.id), { what: 'the container removal request' });
      expect(await h.service.get(agent.id)).toBeNull();
      expect((await h.service.list({ workspace: 'T1' })).agents).toEqual([]);
    } finally {
      await unsubscribe();
    }
  });
});
