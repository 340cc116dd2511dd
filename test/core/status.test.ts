import { agentStatuses, assertTransition, canTransition } from '../../src/core/status.js';

describe('agent status machine', () => {
  it('follows the happy path queued → preparing → running → finished', () => {
    expect(() => {
      assertTransition('queued', 'preparing');
      assertTransition('preparing', 'running');
      assertTransition('running', 'finished');
    }).not.toThrow();
  });

  it('resumes a finished, failed or stopped agent by queuing it again', () => {
    for (const from of ['finished', 'failed', 'stopped'] as const) expect(canTransition(from, 'queued')).toBe(true);
  });

  it('throws a coded error on an illegal transition', () => {
    expect(() => assertTransition('queued', 'finished')).toThrow(expect.objectContaining({ code: 'invalid_transition' }));
    expect(() => assertTransition('finished', 'running')).toThrow('cannot go from finished to running');
  });

  it('lets nothing leave expired', () => {
    for (const to of agentStatuses) expect(canTransition('expired', to)).toBe(false);
  });

  it('lets every other status expire', () => {
    for (const from of agentStatuses.filter((s) => s !== 'expired')) expect(canTransition(from, 'expired')).toBe(true);
  });
});
