import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDocker } from '../support/docker.js';
import { engineHarness, pushToken } from '../support/engine.js';
import { startFakeOpenAi } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';

const docker = testDocker();
let gitServer: GitServer;

beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
});

describe('a machine whose terminals fail after the hand-over', () => {
  it('fails the run at the first tool call, as a failure before the first model call did', async () => {
    // `start` (as root) takes tmux away, so the terminals that open during the first model call fail.
    const url = await gitServer.createRepo(`test/ready-failure-${process.pid}`, {
      'README.md': '# broken terminals\n',
      '.errand/environment.json': JSON.stringify({ user: 'root', start: 'rm -f "$(command -v tmux)"', terminals: [{ name: 'dev', command: 'true' }] }),
    }, { tokens: [pushToken] });
    const model = await startFakeOpenAi([{ label: 'first', reply: { toolCalls: [{ name: 'run', arguments: { command: 'echo never' } }] } }]);
    const harness = await engineHarness({ model, docker, gitServer });
    try {
      const id = await harness.launch({ text: `repo=${url} look around` });
      const agent = await harness.waitForStatus(id, ['finished', 'failed'], 120_000);
      model.assertDone();
      expect(agent.status).toBe('failed');
      expect(agent.error).toMatchObject({ code: 'sandbox_failed', message: expect.stringContaining('could not open the terminals') });
      const events = await harness.events(id);
      expect(events.some((e) => e.type === 'tool_result')).toBe(false);
    } finally {
      await harness.close();
      await model.close();
    }
  });
});
