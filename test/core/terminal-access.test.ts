import { defaultSettings, terminalAccess, type Agent, type Principal, type Settings } from '../../src/core/index.js';

const alice: Principal = { kind: 'slack', workspace: 'T1', id: 'U1', name: 'Alice' };
const bob: Principal = { kind: 'slack', workspace: 'T1', id: 'U2', name: 'Bob' };
const bot: Principal = { kind: 'slack', workspace: 'T1', id: 'B9', name: 'CI bot', isBot: true };
const agent = { id: 'ag_aaaaaaaaaaaa', workspace: 'T1', owner: alice } as Agent;

function settings(patch: Partial<Settings>): Settings {
  return { ...defaultSettings(), ...patch };
}

describe('who may enter an agent machine through the web terminal', () => {
  it('lets the owner and admins type', () => {
    expect(terminalAccess(alice, 'T1', agent, settings({ teamFollowUps: 'owner' }))).toBe('type');
    expect(terminalAccess(bob, 'T1', agent, settings({ teamFollowUps: 'owner', admins: ['U2'] }))).toBe('type');
    expect(terminalAccess(bob, 'T1', agent, settings({ teamFollowUps: 'owner' }), true)).toBe('type');
  });

  it('lets teammates whom team follow-ups let in watch, and nobody else', () => {
    expect(terminalAccess(bob, 'T1', agent, settings({ teamFollowUps: 'everyone' }))).toBe('watch');
    expect(terminalAccess(bob, 'T1', agent, settings({ teamFollowUps: 'owner' }))).toBeNull();
    expect(terminalAccess(bob, 'T1', agent, settings({ teamFollowUps: 'everyone', allowlist: ['U1'] }))).toBeNull();
    expect(terminalAccess(bot, 'T1', agent, settings({ teamFollowUps: 'service_accounts', serviceAccounts: ['B9'] }))).toBe('watch');
    expect(terminalAccess(bot, 'T1', agent, settings({ teamFollowUps: 'service_accounts' }))).toBeNull();
  });

  it("keeps a privacy-mode agent's machine to its owner and admins", () => {
    const secret = { ...agent, privacy: true };
    expect(terminalAccess(bob, 'T1', secret, settings({ teamFollowUps: 'everyone' }))).toBeNull();
    expect(terminalAccess(alice, 'T1', secret, settings({ teamFollowUps: 'everyone' }))).toBe('type');
  });

  it('never crosses workspaces, not even for their admins', () => {
    expect(terminalAccess(bob, 'T2', agent, settings({ teamFollowUps: 'everyone', admins: ['U2'] }), true)).toBeNull();
  });
});
