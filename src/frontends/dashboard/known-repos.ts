import { repoLabel, type AgentService, type Settings } from '../../core/index.js';
import type { Viewer } from './auth.js';

const recentAgents = 200;

/**
 * Repositories to suggest on the new-agent form (a `<datalist>`: free text stays allowed): the
 * workspace default, the per-channel defaults, and the repositories of the viewer's recent agents
 * (every agent of the workspace for admins). Errand has no repository list of its own yet; when the
 * API grows one (`/v0/repositories`), this is the one function to point at it.
 */
export async function knownRepositories(agents: Pick<AgentService, 'list'>, viewer: Viewer, settings: Pick<Settings, 'defaultRepo' | 'channelRepos'>): Promise<string[]> {
  const found = new Set<string>();
  if (settings.defaultRepo) found.add(settings.defaultRepo);
  for (const repo of Object.values(settings.channelRepos)) if (repo) found.add(repo);
  const page = await agents.list({ workspace: viewer.workspace, ...(viewer.admin ? {} : { owner: viewer.principal }), limit: recentAgents });
  for (const agent of page.agents) if (agent.repo) found.add(repoLabel(agent.repo));
  return [...found].sort((a, b) => a.localeCompare(b));
}
