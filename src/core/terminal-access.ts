import type { Agent } from './agent.js';
import { isAdmin, mayFollowUp } from './policy.js';
import { samePrincipal, type Principal } from './principal.js';
import type { Settings } from './settings.js';

/**
 * What a person may do in an agent's machine through the web terminal:
 * - `type`: the agent's owner and admins; their keystrokes reach the machine.
 * - `watch`: teammates whom the workspace's team follow-ups let act on the agent (as they would in
 *   its Slack thread); they see the output, and their input is dropped. Not for privacy-mode
 *   agents: their code is for the owner (and admins) only.
 * - `null`: anyone else, and anyone from another workspace.
 */
export type TerminalAccess = 'type' | 'watch';

export function terminalAccess(principal: Principal, workspace: string, agent: Agent, settings: Settings, platformAdmin = false): TerminalAccess | null {
  if (agent.workspace !== workspace) return null;
  if (samePrincipal(principal, agent.owner) || isAdmin(principal, settings, platformAdmin)) return 'type';
  if (!agent.privacy && mayFollowUp(principal, agent, settings, platformAdmin)) return 'watch';
  return null;
}
