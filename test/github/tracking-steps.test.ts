import { describe, expect, it } from '@jest/globals';
import type { Agent, AgentEvent, StoredEvent } from '../../src/core/index.js';
import { applyEvent, newTrackingState, renderTracking } from '../../src/frontends/github/tracking.js';

const agent: Agent = {
  id: 'ag_7k2m9x4p1q3r', owner: { kind: 'github', workspace: '77', id: 'octocat', name: 'Octo' }, workspace: '77', title: 'fix it', prompt: 'fix it',
  context: null, repo: { url: 'acme/app', fullName: 'acme/app' }, baseBranch: null, branch: 'errand/fix', model: 'openai:gpt', mode: 'agent', autoPr: true,
  status: 'running', conversations: [], prUrl: null, prNumber: null, summary: null, error: null, privacy: false,
  usage: { inputTokens: 0, outputTokens: 0 }, version: 1, createdAt: '', updatedAt: '', startedAt: null, finishedAt: null, expiresAt: '',
};

let n = 0;
const fold = (...events: AgentEvent[]) =>
  events.reduce((state, event) => applyEvent(state, { ...event, id: `1700000000000-${(n += 1)}`, at: '2026-01-01T00:00:00.000Z' } as StoredEvent), newTrackingState());

describe('the GitHub tracking comment', () => {
  it('names the step in flight, and drops it once the step has its result', () => {
    const running = fold({ type: 'status', status: 'running' }, { type: 'tool_call', callId: 'a', name: 'run', args: '{"command":"npm test"}' });
    expect(renderTracking(agent, running, 'full', { agentUrl: null })).toContain('<sub>Now running `npm test`</sub>');
    const answered = applyEvent(running, { type: 'tool_result', callId: 'a', name: 'run', ok: false, output: 'exit code 1', exitCode: 1, id: '1700000000001-0', at: '' });
    expect(renderTracking(agent, answered, 'full', { agentUrl: null })).not.toContain('Now running');
  });

  it('says which commit was pushed, or that nothing was when a stopped agent pushed nothing', () => {
    const pushed = fold({ type: 'milestone', name: 'pushed', text: 'pushed', data: { branch: 'errand/fix', sha: '0123456789abcdef' } }, { type: 'status', status: 'stopped' });
    expect(renderTracking({ ...agent, status: 'stopped' }, pushed, 'full', { agentUrl: null })).toContain('- [x] Pushed `errand/fix` at 0123456');
    const nothing = fold({ type: 'summary', text: 'Stopped on request before finishing. Nothing was pushed: there were no changes.', branch: 'errand/fix', prUrl: null, diffstat: null }, { type: 'status', status: 'stopped' });
    expect(renderTracking({ ...agent, status: 'stopped' }, nothing, 'full', { agentUrl: null })).toContain('- [ ] Nothing was pushed');
  });
});
