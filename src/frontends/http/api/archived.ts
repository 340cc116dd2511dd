import type { Agent } from '../../../core/index.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';

/**
 * Archived agents (archived through v1) take no new prompts, whichever API version sends them:
 * 409 `agent_archived`, saying how to unarchive.
 */
export async function refuseIfArchived(ctx: Pick<ApiContext, 'runs'>, agent: Agent): Promise<void> {
  if (!(await ctx.runs.archivedAt(agent.id))) return;
  throw new ApiError(409, 'agent_archived', `agent ${agent.id} is archived: unarchive it (POST /v1/agents/${agent.id}/unarchive) to give it new prompts`);
}
