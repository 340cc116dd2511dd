import { parseRepoRef, type PullRequestInfo, type RepoRef } from '../../../core/index.js';
import { ApiError } from './errors.js';

/** Reads a pull request of a GitHub repository (the App's installation token); null when there is none. */
export type PullRequestLookup = (repo: RepoRef, number: number) => Promise<PullRequestInfo | null>;

/** What a launch from a pull request works on: the PR's repository, head branch and base. */
export interface PullRequestLaunch {
  repo: string;
  /** The PR's head branch: the agent's branch, pushed to; the open PR is found by it, so no new one is opened. */
  branch: string;
  base: string;
  url: string;
  /** Told to the agent, as a mention on a pull request is. */
  context: string;
}

const prUrlPattern = /^https:\/\/[^/\s]+\/([^/\s]+)\/([^/\s]+)\/pull\/(\d+)\/?(?:[?#].*)?$/;

/**
 * Resolves a launch's `prUrl` (`https://github.com/owner/name/pull/7`): the agent works on the
 * PR's head branch in the same repository and pushes there; a PR from a fork is refused, since
 * the installation's token cannot push to the fork. `repository`, when also given, must be the PR's.
 */
export async function pullRequestLaunch(lookup: PullRequestLookup | null, prUrl: string, field: string, repository?: string): Promise<PullRequestLaunch> {
  const match = prUrlPattern.exec(prUrl.trim());
  if (!match) throw new ApiError(400, 'invalid_request', `${field}: \`${prUrl}\` is not a pull request URL (like https://github.com/owner/name/pull/7)`, field);
  const fullName = `${match[1]}/${match[2]}`;
  const number = Number(match[3]);
  if (repository !== undefined) {
    const given = parseRepoRef(repository);
    if ((given.fullName ?? given.url).toLowerCase() !== fullName.toLowerCase()) {
      throw new ApiError(400, 'invalid_request', `${field}: the pull request is in ${fullName}, not in ${given.fullName ?? given.url}; leave the repository out or give the PR's`, field);
    }
  }
  if (!lookup) throw new ApiError(400, 'not_configured', `${field}: launching from a pull request needs the GitHub App (GITHUB_APP_ID, GITHUB_PRIVATE_KEY) on this server`, field);
  const pull = await lookup({ url: fullName, fullName }, number);
  if (!pull) throw new ApiError(404, 'not_found', `${field}: ${fullName} has no pull request #${number} that the GitHub App can read`, field);
  if (!pull.sameRepo) {
    throw new ApiError(
      400,
      'invalid_request',
      `${field}: pull request #${number} comes from a fork, which Errand cannot push to; launch on ${fullName} (its own branch) and ask for the PR's changes in the prompt`,
      field,
    );
  }
  if (pull.state !== 'open') throw new ApiError(400, 'invalid_request', `${field}: pull request #${number} is ${pull.merged ? 'merged' : 'closed'}; reopen it or launch without prUrl`, field);
  return {
    repo: fullName,
    branch: pull.head,
    base: pull.base,
    url: pull.url,
    context: `You are working on pull request #${number} (${pull.url}) on its own branch \`${pull.head}\` (base \`${pull.base}\`); push your commits to it. Do not open another pull request.`,
  };
}
