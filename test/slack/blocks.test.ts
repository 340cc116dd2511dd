import type { Agent, StoredEvent } from '../../src/core/index.js';
import { blocksPerMessage, sectionLimit, statusMessage, summaryMessages } from '../../src/frontends/slack/blocks.js';
import { parseCommand } from '../../src/frontends/slack/commands.js';

const agent: Agent = {
  id: 'ag_7k2m9x4p1q3r', owner: { kind: 'slack', workspace: 'T1', id: 'U1', name: 'Ada' }, workspace: 'T1', title: 'fix <the> login & test', prompt: 'fix it',
  context: null, repo: { url: 'acme/app', fullName: 'acme/app' }, baseBranch: null, branch: 'errand/fix-7k2m9x', model: 'openai:gpt', mode: 'agent', autoPr: true,
  status: 'failed', conversations: [], prUrl: null, prNumber: null, summary: null, error: { code: 'model_failed', message: 'key sk-123 rejected in /home/x' }, privacy: false,
  usage: { inputTokens: 0, outputTokens: 0 }, version: 1, createdAt: '', updatedAt: '', startedAt: null, finishedAt: null, expiresAt: '',
};

const summary = (text: string): Extract<StoredEvent, { type: 'summary' }> => ({ type: 'summary', text, branch: agent.branch, prUrl: null, diffstat: null, id: '1-0', at: '' });

describe('Slack rendering', () => {
  it('splits a long summary into sections and messages within Slack limits, losing no text', () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const messages = summaryMessages(summary(lines.join('\n')), agent, 'full');
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message.blocks.length).toBeLessThanOrEqual(blocksPerMessage);
      for (const block of message.blocks) expect(JSON.stringify(block).length).toBeLessThan(sectionLimit + 200);
    }
    const all = messages.flatMap((m) => m.blocks).map((b) => (b.type === 'section' ? (b.text?.text ?? '') : '')).join('\n');
    expect(all).toContain('line 0 ');
    expect(all).toContain('line 3999 ');
  });

  it('hard-splits a single line longer than a section', () => {
    const messages = summaryMessages(summary('y'.repeat(10_000)), agent, 'full');
    const sections = messages.flatMap((m) => m.blocks);
    expect(sections.length).toBeGreaterThanOrEqual(5);
  });

  it('shows only the error code, not its message, where the view is status-only, and escapes Slack control characters', () => {
    const status = JSON.stringify(statusMessage(agent, 'status', undefined).blocks);
    expect(status).toContain('model_failed');
    expect(status).not.toContain('/home/x');
    expect(status).toContain('fix &lt;the&gt; login &amp; test');
    expect(JSON.stringify(statusMessage(agent, 'full', undefined).blocks)).toContain('rejected');
  });

  it('reads sub-commands as single words and everything else as a prompt', () => {
    expect(parseCommand('stop')).toEqual({ kind: 'stop' });
    expect(parseCommand('stop ag_7k2m9x4p1q3r')).toEqual({ kind: 'stop', agentId: 'ag_7k2m9x4p1q3r' });
    expect(parseCommand('stop the flaky test from failing')).toEqual({ kind: 'launch', text: 'stop the flaky test from failing', forceNew: false });
    expect(parseCommand('stop ag_typo')).toEqual({ kind: 'stop', agentId: 'ag_typo' });
    expect(parseCommand('stop ag_7k2m9x4p1q3r.')).toEqual({ kind: 'stop', agentId: 'ag_7k2m9x4p1q3r' });
    expect(parseCommand('stop `ag_7k2m9x4p1q3r` please')).toEqual({ kind: 'stop', agentId: 'ag_7k2m9x4p1q3r' });
    expect(parseCommand('help.')).toEqual({ kind: 'help' });
    expect(parseCommand('repo=<https://git.example.com/acme/app.git|git.example.com/acme/app.git> fix <https://example.com/issue/1>')).toEqual({
      kind: 'launch', text: 'repo=https://git.example.com/acme/app.git fix https://example.com/issue/1', forceNew: false,
    });
    expect(parseCommand('agent repo=a/b go')).toEqual({ kind: 'launch', text: 'repo=a/b go', forceNew: true });
    expect(parseCommand('list')).toEqual({ kind: 'list' });
  });
});
