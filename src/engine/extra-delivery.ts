import { repoLabel, toErrandError, type Agent, type AgentEvent, type ExtraRepo, type Log, type PullRequestRef, type RepoDiff, type RepoHost, type RepoRef, type SandboxHandle } from '../core/index.js';
import { commitAll, type GitIdentity } from '../git/commit.js';
import { diffstat } from '../git/diffstat.js';
import { push } from '../git/remote.js';
import { importWorkTree } from '../git/work-tree.js';
import type { Scrubber } from '../redact/scrubber.js';
import { branchDiff } from './branch-diff.js';
import type { ExtraCheckout } from './extra-repos.js';
import { revParse } from './host-checkout.js';
import { formatDiffstat, pullRequestBody } from './run-text.js';

/** What one extra repository's work turned into. */
export interface ExtraDelivery {
  extra: ExtraRepo;
  host: RepoHost;
  pushed: boolean;
  sha: string | null;
  diffstat: string | null;
  pr: PullRequestRef | null;
  /** The pull request was opened by this delivery (its body then gets the links to the others). */
  opened: boolean;
  /** The branch against its base for the dashboard, when it was asked for and could be made. */
  diff?: RepoDiff;
}

export interface ExtraDeliveryContext {
  agent: Agent;
  handle: SandboxHandle;
  summary: string;
  /** The commit message (scrubbed), the same as the primary's. */
  message: string;
  bot: GitIdentity;
  openPr: boolean;
  protectedBranches: readonly string[];
  scrubber: Scrubber;
  publicUrl?: string | undefined;
  emit: (event: AgentEvent) => Promise<void>;
  log: Log;
  /** Keep the branch's diff for the dashboard, up to this size; null: keep none (privacy mode, no store). */
  diffMaxBytes: number | null;
}

/**
 * Reads /workspace/<folder> back into the repository's host checkout (every `.git` dropped, as for
 * the primary), commits, pushes the agent's branch and opens (or finds) its pull request. A
 * repository without changes is neither pushed nor given a pull request.
 */
export async function deliverExtra(item: ExtraCheckout, ctx: ExtraDeliveryContext): Promise<ExtraDelivery> {
  const { agent, handle } = ctx;
  const { extra, host } = item;
  const none: ExtraDelivery = { extra, host, pushed: false, sha: null, diffstat: null, pr: null, opened: false };
  await importWorkTree(item.dir, await handle.readArchive(`${handle.workdir}/${extra.path}`));
  const coAuthor = agent.owner.email ? { name: agent.owner.name, email: agent.owner.email } : null;
  const commit = await commitAll(item.dir, { message: ctx.message, author: ctx.bot, coAuthor });
  const head = await revParse(item.dir, 'HEAD');
  const remoteHead = item.existingBranch ? await revParse(item.dir, `refs/remotes/origin/${agent.branch}`) : null;
  let pushed = false;
  if (commit || (item.existingBranch && head !== remoteHead)) {
    const access = await host.access(extra.repo);
    if (access.token) ctx.scrubber.add(access.token);
    await push(access, item.dir, agent.branch, { protect: { base: item.base, defaultBranch: item.defaultBranch, patterns: ctx.protectedBranches } });
    pushed = true;
    await ctx.emit({ type: 'milestone', name: 'pushed', text: `pushed ${agent.branch} of ${repoLabel(extra.repo)}`, data: { branch: agent.branch, sha: head ?? '', repo: repoLabel(extra.repo) } });
  }
  if (!pushed && !item.existingBranch) return none;
  const stat = formatDiffstat(await diffstat(item.dir, `refs/remotes/origin/${item.base}`));
  const diff = await repoDiff(item, head, ctx);
  const delivered = { ...none, pushed, sha: pushed ? head : null, diffstat: stat, ...(diff ? { diff } : {}) };
  try {
    const known: PullRequestRef | null = extra.prNumber && extra.prUrl ? { number: extra.prNumber, url: extra.prUrl } : await host.findPullRequest(extra.repo, agent.branch);
    if (known) {
      if (pushed) await ctx.emit({ type: 'milestone', name: 'pr_updated', text: `updated pull request ${repoLabel(extra.repo)}#${known.number}`, data: { number: known.number, url: known.url } });
      return { ...delivered, pr: known };
    }
    if (!agent.autoPr || !ctx.openPr) return delivered;
    const body = ctx.scrubber.scrub(pullRequestBody({ agent: { ...agent, repo: extra.repo }, summary: ctx.summary, diffstat: stat, publicUrl: ctx.publicUrl }));
    const pr = await host.openPullRequest({ repo: extra.repo, head: agent.branch, base: item.base, title: agent.title, body, draft: true });
    if (pr) await ctx.emit({ type: 'milestone', name: 'pr_opened', text: `opened draft pull request ${repoLabel(extra.repo)}#${pr.number}`, data: { number: pr.number, url: pr.url } });
    return { ...delivered, pr, opened: pr !== null };
  } catch (error) {
    const failure = toErrandError(error);
    ctx.log.warn({ code: failure.code, err: failure, repo: repoLabel(extra.repo) }, 'pull request failed');
    await ctx.emit({ type: 'error', code: failure.code, message: `${repoLabel(extra.repo)}: the branch is pushed, but the pull request failed: ${failure.message}` });
    return delivered;
  }
}

/** The repository's branch against its base for the dashboard; a failure is a warning, not a failed delivery. */
async function repoDiff(item: ExtraCheckout, head: string | null, ctx: ExtraDeliveryContext): Promise<RepoDiff | undefined> {
  if (ctx.diffMaxBytes === null) return undefined;
  try {
    const diff = await branchDiff(item.dir, item.base, ctx.diffMaxBytes, ctx.scrubber);
    return { repo: repoLabel(item.extra.repo), folder: item.extra.path, ...diff, base: item.base, sha: head };
  } catch (error) {
    ctx.log.warn({ err: error, repo: repoLabel(item.extra.repo) }, 'could not make the diff of a repository for the dashboard');
    return undefined;
  }
}

/** One pull request of a multi-repository agent, with the description it should carry. */
export interface LinkedPull {
  repo: RepoRef;
  host: RepoHost;
  pr: PullRequestRef;
  body: string;
}

/** The section each pull request of a multi-repository agent ends with: the others. */
export function relatedPullsSection(pulls: LinkedPull[], self: LinkedPull): string {
  const others = pulls.filter((pull) => pull !== self).map((pull) => `- ${repoLabel(pull.repo)}: ${pull.pr.url}`);
  return `### Related pull requests\n\nThis agent changed several repositories; merge these together:\n\n${others.join('\n')}`;
}

/**
 * Once every pull request is open, rewrites each description to list the others. Only when this
 * run opened one (a pull request nobody added to keeps the description people may have edited).
 * A failed update is a warning, not a failed run.
 */
export async function linkPullRequests(pulls: LinkedPull[], anyOpened: boolean, emit: (event: AgentEvent) => Promise<void>, log: Log): Promise<void> {
  if (pulls.length < 2 || !anyOpened) return;
  for (const pull of pulls) {
    if (!pull.host.updatePullRequestBody) continue;
    try {
      await pull.host.updatePullRequestBody(pull.repo, pull.pr.number, `${pull.body}\n\n${relatedPullsSection(pulls, pull)}`);
    } catch (error) {
      const failure = toErrandError(error);
      log.warn({ code: failure.code, err: failure }, 'could not link the pull requests');
      await emit({ type: 'log', phase: 'git', stream: 'system', text: `warning: ${repoLabel(pull.repo)}#${pull.pr.number} does not list the other pull requests: ${failure.message}` });
    }
  }
}

/** The agent's extra repositories with the pull requests a delivery found or opened; undefined for one repository. */
export function withPullRequests(agent: Agent, extras: ExtraDelivery[] | undefined): Agent['extraRepos'] {
  if (!agent.extraRepos?.length) return undefined;
  return agent.extraRepos.map((extra) => {
    const pr = extras?.find((d) => d.extra.path === extra.path)?.pr;
    return pr ? { ...extra, prUrl: pr.url, prNumber: pr.number } : extra;
  });
}
