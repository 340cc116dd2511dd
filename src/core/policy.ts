import type { Agent } from './agent.js';
import { ErrandError } from './errors.js';
import { principalKey, samePrincipal, type Principal } from './principal.js';
import type { Settings } from './settings.js';

/** A setting's list may name `slack:T1:U2` (a principal key) or just `U2` / `octocat`. */
function listed(list: readonly string[], principal: Principal): boolean {
  const key = principalKey(principal);
  return list.some((entry) => entry === key || entry.toLowerCase() === principal.id.toLowerCase());
}

export function isAdmin(principal: Principal, settings: Settings, platformAdmin = false): boolean {
  return platformAdmin || listed(settings.admins, principal);
}

/** Admins (the `admins` setting, or platform admins as the front end reports them) may always launch. */
export function assertMayLaunch(principal: Principal, settings: Settings, platformAdmin = false): void {
  if (isAdmin(principal, settings, platformAdmin)) return;
  if (principal.isBot && !listed(settings.serviceAccounts, principal) && !listed(settings.allowlist, principal)) {
    throw new ErrandError('forbidden', 'bots cannot start agents unless listed as a service account');
  }
  if (settings.allowlist.length > 0 && !listed(settings.allowlist, principal)) {
    throw new ErrandError('forbidden', "you're not on this workspace's list of people who may start agents; ask an admin to add you");
  }
}

/** Team follow-ups: owner (and admins) only, service accounts too, or everyone allowed to launch. */
export function assertMayFollowUp(principal: Principal, agent: Agent, settings: Settings, platformAdmin = false): void {
  if (samePrincipal(principal, agent.owner) || isAdmin(principal, settings, platformAdmin)) return;
  switch (settings.teamFollowUps) {
    case 'owner':
      throw new ErrandError('forbidden', `only ${agent.owner.name} (who started this agent) and admins can follow up on it`);
    case 'service_accounts':
      if (listed(settings.serviceAccounts, principal)) return;
      throw new ErrandError('forbidden', `only ${agent.owner.name}, admins and service accounts can follow up on this agent`);
    case 'everyone':
      assertMayLaunch(principal, settings, platformAdmin);
      return;
  }
}

/** The same rule as a yes or no: may this person follow up on (and stop) the agent? */
export function mayFollowUp(principal: Principal, agent: Agent, settings: Settings, platformAdmin = false): boolean {
  try {
    assertMayFollowUp(principal, agent, settings, platformAdmin);
    return true;
  } catch {
    return false;
  }
}

/** Stopping follows the same rule as following up. */
export const assertMayStop = assertMayFollowUp;
