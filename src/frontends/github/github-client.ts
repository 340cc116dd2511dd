import type { ProbotOctokit } from 'probot';

/** Where a comment lives: the conversation of an issue or PR, or a PR's diff (a review comment). */
export type CommentKind = 'issue' | 'review';

export interface PostedComment {
  id: number;
  url: string;
}

export interface ListedComment {
  id: number;
  body: string;
  login: string;
  userType: string;
  authorAssociation: string;
}

export interface PullInfo {
  title: string;
  body: string;
  author: string;
  authorAssociation: string;
  headRef: string;
  headRepo: string | null;
  headSha: string;
  baseRef: string;
  url: string;
}

/** Writes go through GitHub once: a create whose answer was lost must not be re-sent blindly. */
const noRetry = { request: { retries: 0 } } as const;

/**
 * The few GitHub calls the front end makes, over an installation's Probot Octokit (which brings
 * installation auth, retries and the throttling GitHub asks apps to respect).
 */
export class GitHubClient {
  constructor(private readonly octokit: ProbotOctokit) {}

  /** `admin`, `maintain`, `write`, `triage`, `read` or `none`. */
  async permission(repo: string, login: string): Promise<string> {
    const { owner, name } = split(repo);
    const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username: login });
    const role = (data as { role_name?: string }).role_name;
    // role_name tells maintain/triage apart; permission folds them into write/read.
    return role && ['admin', 'maintain', 'write', 'triage', 'read'].includes(role) ? role : data.permission;
  }

  async react(kind: CommentKind, repo: string, commentId: number, content: 'eyes' | '+1' | 'confused'): Promise<void> {
    const { owner, name } = split(repo);
    if (kind === 'issue') await this.octokit.rest.reactions.createForIssueComment({ owner, repo: name, comment_id: commentId, content });
    else await this.octokit.rest.reactions.createForPullRequestReviewComment({ owner, repo: name, comment_id: commentId, content });
  }

  /** A new comment in the conversation, or a reply in a review thread when `replyTo` is set. */
  async post(repo: string, number: number, body: string, replyTo?: number): Promise<PostedComment> {
    const { owner, name } = split(repo);
    if (replyTo !== undefined) {
      const { data } = await this.octokit.rest.pulls.createReplyForReviewComment({ owner, repo: name, pull_number: number, comment_id: replyTo, body, ...noRetry });
      return { id: data.id, url: data.html_url };
    }
    const { data } = await this.octokit.rest.issues.createComment({ owner, repo: name, issue_number: number, body, ...noRetry });
    return { id: data.id, url: data.html_url };
  }

  async edit(kind: CommentKind, repo: string, commentId: number, body: string): Promise<void> {
    const { owner, name } = split(repo);
    if (kind === 'issue') await this.octokit.rest.issues.updateComment({ owner, repo: name, comment_id: commentId, body });
    else await this.octokit.rest.pulls.updateReviewComment({ owner, repo: name, comment_id: commentId, body });
  }

  /** Comments of a conversation (or of a PR's review threads), updated since `since`, oldest first. */
  async list(kind: CommentKind, repo: string, number: number, options: { since?: string; max?: number } = {}): Promise<ListedComment[]> {
    const { owner, name } = split(repo);
    const max = options.max ?? 100;
    const params = { owner, repo: name, per_page: 100, ...(options.since ? { since: options.since } : {}) };
    const out: ListedComment[] = [];
    const pages = kind === 'issue'
      ? this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, { ...params, issue_number: number })
      : this.octokit.paginate.iterator(this.octokit.rest.pulls.listReviewComments, { ...params, pull_number: number });
    for await (const page of pages) {
      for (const c of page.data as { id: number; body?: string; user: { login: string; type: string } | null; author_association: string }[]) {
        out.push({ id: c.id, body: c.body ?? '', login: c.user?.login ?? 'ghost', userType: c.user?.type ?? 'User', authorAssociation: c.author_association });
      }
      if (out.length >= max) break;
    }
    return out;
  }

  async pull(repo: string, number: number): Promise<PullInfo> {
    const { owner, name } = split(repo);
    const { data } = await this.octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
    return {
      title: data.title,
      body: data.body ?? '',
      author: data.user?.login ?? 'ghost',
      authorAssociation: data.author_association ?? 'NONE',
      headRef: data.head.ref,
      headRepo: data.head.repo?.full_name ?? null,
      headSha: data.head.sha,
      baseRef: data.base.ref,
      url: data.html_url,
    };
  }
}

function split(repo: string): { owner: string; name: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, name };
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : null;
}

/**
 * Whether a failed write may still have happened: no answer at all, a timeout, or a 5xx. A 4xx
 * means GitHub refused it, so nothing was written.
 */
export function outcomeUnknown(error: unknown): boolean {
  const status = statusOf(error);
  return status === null || status === 500 || status >= 502;
}
