import type { Agent } from './agent.js';
import { isExternal, type Conversation } from './conversation.js';
import type { Settings } from './settings.js';

/**
 * What a destination may see of an agent. Renderers obey it; they never decide it.
 * - `full`: summary text, paths, diffs, tool steps.
 * - `status`: status, links (branch, PR) and errors' codes only: no code, no paths, no diffs.
 */
export type View = 'full' | 'status';

export function viewFor(agent: Agent, conversation: Conversation, settings: Settings): View {
  if (!settings.displaySummary) return 'status';
  if (isExternal(conversation)) {
    if (agent.privacy || !settings.displaySummaryExternal) return 'status';
  }
  return 'full';
}
