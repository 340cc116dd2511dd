import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingSpec, sandboxTestBed } from '../support/docker.js';

/**
 * A new machine is handed over once `start` has run: the terminals open and the ready state is
 * recorded while the first model call is in flight. Commands wait for that, and a failure there
 * reaches the first command; what the system prompt says comes from the host checkout.
 */
const bed = sandboxTestBed('ready-bg');
const hostOnly = mkdtempSync(join(tmpdir(), 'errand-host-only-'));
afterAll(() => rmSync(hostOnly, { recursive: true, force: true }));

describe('a machine finishing its start in the background', () => {
  it('tells the agent about the checkout from the host, never through a symlink, and commands see the open terminals', async () => {
    const secretFile = join(hostOnly, 'worker-secret');
    writeFileSync(secretFile, 'host-only-marker\n');
    const project = bed.gitRepo({ 'README.md': '# notes from the readme\n', '.errand/environment.json': JSON.stringify({ terminals: [{ name: 'dev', command: 'echo dev up' }] }) });
    symlinkSync(secretFile, join(project.dir, 'AGENTS.md'));
    const handle = await bed.sandbox.prepare(recordingSpec(project.dir, bed.repo));
    expect(handle.preparedFacts?.notes).toContain('notes from the readme');
    expect(handle.preparedFacts?.notes).not.toContain('host-only-marker');
    expect(handle.preparedFacts?.topLevel.split('\n')).toEqual(expect.arrayContaining(['.errand/', 'README.md']));
    expect(handle.preparedFacts?.terminals).toEqual(['dev']);
    expect(await handle.terminals()).toEqual(['dev']);
    await expect(handle.whenReady).resolves.toBeUndefined();
    expect(await handle.changesSinceReady()).toEqual({ changed: [], deleted: [] });
  });

  it('fails the first command when the terminals cannot open', async () => {
    // start (as root) takes tmux away, so the terminals cannot open.
    const project = bed.gitRepo({ '.errand/environment.json': JSON.stringify({ user: 'root', start: 'rm -f "$(command -v tmux)"', terminals: [{ name: 'dev', command: 'true' }] }) });
    const handle = await bed.sandbox.prepare(recordingSpec(project.dir, bed.repo));
    await expect(handle.exec('true')).rejects.toMatchObject({ code: 'sandbox_failed', message: expect.stringContaining('could not open the terminals') });
    await expect(handle.whenReady).rejects.toMatchObject({ code: 'sandbox_failed' });
  });
});
