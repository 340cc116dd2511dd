import { repoLabel, type AgentService, type Settings } from '../../core/index.js';
import type { Viewer } from './auth.js';

const recentAgents = 200;

/**
 * Repositories to suggest on the new-agent form (a `<datalist>`: free text stays allowed): the
 * workspace default, the per-channel defaults, and the repositories of the viewer's recent agents
 * (every agent of the workspace for admins), and what the server's hosts make available (the list
 * `/v0/repositories` serves: the GitHub App's installations). A host that cannot be asked right now
 * only shortens the list.
 */
export async function knownRepositories(
  agents: Pick<AgentService, 'list'>,
  viewer: Viewer,
  settings: Pick<Settings, 'defaultRepo' | 'channelRepos'>,
  available: () => Promise<string[]> = async () => [],
): Promise<string[]> {
  const found = new Set<string>(await available().catch(() => []));
  if (settings.defaultRepo) found.add(settings.defaultRepo);
  for (const repo of Object.values(settings.channelRepos)) if (repo) found.add(repo);
  const page = await agents.list({ workspace: viewer.workspace, ...(viewer.admin ? {} : { owner: viewer.principal }), limit: recentAgents });
  for (const agent of page.agents) if (agent.repo) found.add(repoLabel(agent.repo));
  return [...found].sort((a, b) => a.localeCompare(b));
}
