import type { Agent, ExtraRepo, RepoRef } from './agent.js';
import { ErrandError } from './errors.js';
import { machineRepoLabel, repoLabel } from './repo-ref.js';

/** Folders of /workspace an extra repository never takes: Errand's own, and git's. */
const reservedFolders = new Set(['.git', 'artifacts']);

/** `name` and `owner-name` of a repository, as folder names (letters, digits, `.`, `_`, `-`). */
function folderCandidates(repo: RepoRef): [string, string] {
  const parts = machineRepoLabel(repo).split('/').filter(Boolean);
  const clean = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '') || 'repo';
  const name = clean(parts.at(-1) ?? 'repo');
  return [name, clean(`${parts.at(-2) ?? 'repo'}-${name}`)];
}

/**
 * The folder each extra repository gets under /workspace: its name, or `owner-name` when another
 * repository of the agent has the same name, the name is reserved, or `taken(folder)` (the primary
 * tracks that path). Numbered after that, so every folder is distinct.
 */
export function extraRepoFolders(repos: RepoRef[], taken: (folder: string) => boolean = () => false): string[] {
  const names = repos.map((repo) => folderCandidates(repo)[0].toLowerCase());
  const used = new Set<string>();
  return repos.map((repo, i) => {
    const [name, ownerName] = folderCandidates(repo);
    const clash = names.filter((other) => other === name.toLowerCase()).length > 1 || names.indexOf(name.toLowerCase()) !== i;
    let folder = clash || reservedFolders.has(name.toLowerCase()) || taken(name) ? ownerName : name;
    for (let n = 2; used.has(folder.toLowerCase()) || taken(folder); n += 1) folder = `${ownerName}-${n}`;
    used.add(folder.toLowerCase());
    return folder;
  });
}

/** The extra repositories of a launch, with their folders and no pull requests yet. */
export function newExtraRepos(repos: RepoRef[]): ExtraRepo[] {
  const folders = extraRepoFolders(repos);
  return repos.map((repo, i) => ({ repo, path: folders[i]!, prUrl: null, prNumber: null }));
}

/** How two spellings of one repository compare: `Acme/Web`, `acme/web.git` and `https://github.com/acme/web` are the same. */
export function repoKey(repo: RepoRef): string {
  return (repo.fullName ?? repo.url).toLowerCase().replace(/\.git$/, '').replace(/\/+$/, '');
}

/** Refuses a repository named twice in one launch, naming it. */
export function assertDistinctRepos(repos: RepoRef[]): void {
  const seen = new Set<string>();
  for (const repo of repos) {
    const key = repoKey(repo);
    if (seen.has(key)) throw new ErrandError('invalid_request', `repository ${repoLabel(repo)} is named twice: name each repository once`);
    seen.add(key);
  }
}

/** Every repository of an agent with where it lives in the machine, its branch and pull request; the primary first. */
export interface AgentRepository {
  repo: RepoRef;
  /** `/workspace` for the primary, `/workspace/<folder>` for the others. */
  dir: string;
  branch: string;
  prUrl: string | null;
  prNumber: number | null;
  primary: boolean;
}

export function agentRepositories(agent: Pick<Agent, 'repo' | 'extraRepos' | 'branch' | 'prUrl' | 'prNumber'>): AgentRepository[] {
  if (!agent.repo) return [];
  const primary: AgentRepository = { repo: agent.repo, dir: '/workspace', branch: agent.branch, prUrl: agent.prUrl, prNumber: agent.prNumber, primary: true };
  return [primary, ...(agent.extraRepos ?? []).map((extra) => ({ repo: extra.repo, dir: `/workspace/${extra.path}`, branch: agent.branch, prUrl: extra.prUrl, prNumber: extra.prNumber, primary: false }))];
}
