import { describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '../../src/core/index.js';
import { removeByRepo } from '../support/docker.js';
import { engineTestBed, pushToken } from '../support/engine.js';
import { waitFor } from '../support/wait.js';

const bed = engineTestBed();
const { docker } = bed;

const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });

const outputOf = (events: StoredEvent[], callId: string) =>
  events
    .filter((e): e is Extract<StoredEvent, { type: 'tool_output' }> => e.type === 'tool_output' && e.callId === callId)
    .map((e) => e.text)
    .join('');

/** Runs a command in the agent's container from the outside (the test's hand on the gate). */
async function execIn(agentId: string, command: string): Promise<void> {
  const [info] = await docker.listContainers({ filters: { label: [`errand.agent=${agentId}`], status: ['running'] } });
  if (!info) throw new Error(`no running container for ${agentId}`);
  const exec = await docker.getContainer(info.Id).exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  stream.resume();
  await new Promise((resolve) => stream.once('end', resolve));
}

describe("a command's output while it runs", () => {
  it('streams into events before the command ends, and a command that exits 127 is a failed step with its exit code and duration', async () => {
    const name = `test/live-output-${process.pid}`;
    const url = await bed.gitServer.createRepo(name, { 'README.md': '# live\n' }, { tokens: [pushToken] });
    const deployKey = 'live-deploy-key-5151-secret';
    try {
      const h = await bed.start(
        [
          {
            label: 'slow command',
            reply: call('run', {
              // The secret is printed in two writes half a second apart: the live output must scrub it whole.
              command: 'echo "first line"; printf "key=%s" "${DEPLOY_KEY:0:10}"; sleep 0.6; printf "%s\\n" "${DEPLOY_KEY:10}"; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo "last line"',
            }),
          },
          { label: 'missing command', reply: call('run', { command: 'no-such-command-here' }) },
          { label: 'finish', reply: call('finish', { summary: 'Done\n\nRan two commands.' }) },
        ],
        { secrets: true },
      );
      await h.deps.secrets!.set({ workspace: 'T1' }, 'DEPLOY_KEY', deployKey);
      const id = await h.launch({ text: `repo=${url} run things` });

      const slow = await waitFor(
        async () => {
          const events = await h.events(id);
          const step = events.find((e) => e.type === 'tool_call' && e.name === 'run');
          if (step?.type !== 'tool_call') return undefined;
          return outputOf(events, step.callId).includes('key=') ? { events, callId: step.callId } : undefined;
        },
        { what: 'live output of the slow command', timeoutMs: 60_000 },
      );
      // The command is still waiting at its gate: no result yet, and the first lines are already there.
      expect(slow.events.some((e) => e.type === 'tool_result' && e.callId === slow.callId)).toBe(false);
      expect(outputOf(slow.events, slow.callId)).toBe('first line\nkey=[redacted]\n');

      await execIn(id, 'touch /tmp/go');
      const agent = await h.waitForStatus(id, ['finished', 'failed']);
      bed.model!.assertDone();
      expect(agent.status).toBe('finished');

      const events = await h.events(id);
      expect(JSON.stringify(events)).not.toContain(deployKey);
      expect(outputOf(events, slow.callId)).toBe('first line\nkey=[redacted]\nlast line\n');
      const results = events.filter((e): e is Extract<StoredEvent, { type: 'tool_result' }> => e.type === 'tool_result' && e.name === 'run');
      expect(results[0]).toMatchObject({ ok: true, exitCode: 0 });
      expect(results[1]).toMatchObject({ ok: false, exitCode: 127 });
      expect(results[1]?.output).toContain('exit code 127');
      for (const result of results) expect(typeof result.durationMs).toBe('number');
    } finally {
      await removeByRepo(docker, name);
    }
  });

  it("saves the pushed branch's diff against its base, scrubbed, for the dashboard (a plain git remote)", async () => {
    const name = `test/live-diff-${process.pid}`;
    const url = await bed.gitServer.createRepo(name, { 'README.md': '# live\n', 'app.txt': 'one\ntwo\n' }, { tokens: [pushToken] });
    try {
      const h = await bed.start([
        { label: 'edit', reply: call('write_file', { path: 'app.txt', content: `one\ntwo\nthree ${pushToken}\n` }) },
        { label: 'add', reply: call('write_file', { path: 'src/new.ts', content: 'export const x = 1;\n' }) },
        { label: 'finish', reply: call('finish', { summary: 'Add three\n\nAdded a line and a file.' }) },
      ]);
      const id = await h.launch({ text: `repo=${url} add a line` });
      const agent = await h.waitForStatus(id, ['finished', 'failed']);
      bed.model!.assertDone();
      expect(agent.status).toBe('finished');
      const diff = await h.core.stores.diffs.load(id);
      const head = await bed.gitServer.lastCommit(name, agent.branch);
      expect(diff).toMatchObject({ base: 'main', branch: agent.branch });
      expect(diff!.sha).toBe(head.sha);
      expect(diff!.text).toContain('+++ b/app.txt');
      expect(diff!.text).toContain('+three [redacted]');
      expect(diff!.text).toContain('+++ b/src/new.ts');
      expect(diff!.text).not.toContain(pushToken);
    } finally {
      await removeByRepo(docker, name);
    }
  });
});
