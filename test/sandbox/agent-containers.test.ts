import type Docker from 'dockerode';
import { agentOf, isUnclaimedPoolMachine, unique } from '../../src/sandbox/docker/agent-containers.js';

const info = (name: string, labels: Record<string, string>, id = name): Docker.ContainerInfo => ({ Id: id, Names: [`/${name}`], Labels: labels }) as unknown as Docker.ContainerInfo;

describe('whose container it is', () => {
  it('is the agent its label names, for a machine made for it and its sidecar', () => {
    expect(agentOf(info('errand-ag_one', { 'errand.agent': 'ag_one' }))).toBe('ag_one');
    expect(agentOf(info('errand-ag_one-egress', { 'errand.agent': 'ag_one', 'errand.role': 'egress' }))).toBe('ag_one');
    expect(agentOf(info('something-else', {}))).toBeUndefined();
  });

  it("is the agent a claimed pool machine is named after, never a label inherited from a snapshot", () => {
    const claimed = info('errand-ag_two', { 'errand.pool': 'k', 'errand.agent': 'ag_installer' });
    expect(agentOf(claimed)).toBe('ag_two');
    expect(isUnclaimedPoolMachine(claimed)).toBe(false);
  });

  it('is nobody for a pool machine waiting or still being made', () => {
    for (const name of ['errand-pool-0123abcd', 'errand-pool-0123abcd-starting']) {
      const waiting = info(name, { 'errand.pool': 'k', 'errand.agent': '' });
      expect(agentOf(waiting)).toBeUndefined();
      expect(isUnclaimedPoolMachine(waiting)).toBe(true);
    }
  });

  it('lists each container once', () => {
    const a = info('errand-ag_one', { 'errand.agent': 'ag_one' }, 'id-a');
    expect(unique([a, a, info('errand-ag_two', { 'errand.agent': 'ag_two' }, 'id-b')]).map((c) => c.Id)).toEqual(['id-a', 'id-b']);
  });
});
