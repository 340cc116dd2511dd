import type { Context, Probot } from 'probot';
import type { Log } from '../../core/index.js';
import { GitHubClient, statusOf } from './github-client.js';
import { handleTrigger, isBot, type Trigger, type TriggerDeps } from './handle-trigger.js';
import { findMention } from './mention.js';
import { IssueCommentPayload, IssueEventPayload, ReviewCommentPayload } from './payloads.js';
import { parseRepoConfig, repoConfigFile, type RepoConfig } from './repo-config.js';
import type { GitHubUser } from './payloads.js';

export type AnyContext = Context<'issue_comment' | 'pull_request_review_comment' | 'issues'>;

/** What issue comments and review comments share for finding a mention. */
interface MentionPayload {
  action: string;
  comment: { body?: string | null | undefined; user: GitHubUser };
  changes?: { body?: { from?: string | null | undefined } | undefined } | undefined;
  repository: { full_name: string };
}

/**
 * The Probot app: turns issue comments, review comments, assignments and labels into triggers.
 * Everything else GitHub sends (other events and actions) is answered 200 and ignored.
 */
export interface DeferredDelivery {
  deliveryId: string;
  name: 'issue_comment' | 'pull_request_review_comment' | 'issues';
  payload: { installation: { id: number } } & Record<string, unknown>;
}

export interface ErrandAppOptions {
  configTtlMs?: number;
  /**
   * Hands a delivery that may ask for the agent to a job (after the signature check, done by
   * Probot, and de-duplication by delivery id), so the webhook is answered at once; the job runs
   * `run` with it. Without it the delivery is handled before the answer.
   */
  defer?: (delivery: DeferredDelivery) => Promise<void>;
}

/** The handlers of errandApp, for a job that runs a deferred delivery with the installation's client. */
export interface ErrandAppHandlers {
  run(delivery: DeferredDelivery, context: AnyContext): Promise<void>;
}

export function errandApp(deps: TriggerDeps, options: ErrandAppOptions = {}): ((app: Probot) => void) & ErrandAppHandlers {
  const configs = new ConfigCache(options.configTtlMs ?? 60_000);
  const repoConfig = (context: AnyContext) => configs.get(context, deps.log);
  /**
   * A comment that newly mentions the trigger (an edit counts only if the repo opts in and the old
   * text had no mention), with the client, the sender's role (asked early) and the repo's config.
   */
  const mentioned = async (context: AnyContext, payload: MentionPayload) => {
    const mention = findMention(payload.comment.body ?? '', deps.trigger);
    if (!mention || (payload.action === 'edited' && findMention(payload.changes?.body?.from ?? '', deps.trigger))) return null;
    const client = new GitHubClient(context.octokit);
    const senderRole = roleEarly(client, payload.repository.full_name, payload.comment.user);
    const config = await repoConfig(context);
    if (!config.mentions || (payload.action === 'edited' && !config.editedComments)) return null;
    return { mention, client, senderRole, config };
  };
  const onComment = (context: AnyContext, claimed: boolean) =>
      guarded(context, deps.log, async () => {
        const payload = parse(IssueCommentPayload, context.payload, deps.log);
        const found = payload && (await mentioned(context, payload));
        if (!payload || !found) return;
        const { mention, client, senderRole, config } = found;
        const issue = payload.issue;
        const trigger: Trigger = {
          deliveryId: context.id,
          installationId: payload.installation.id,
          repo: payload.repository.full_name,
          number: issue.number,
          isPullRequest: Boolean(issue.pull_request),
          sender: payload.comment.user,
          comment: { kind: 'issue', id: payload.comment.id, threadId: payload.comment.id },
          request: mention,
          origin: 'mention',
          ...(senderRole ? { senderRole } : {}),
          facts: {
            repo: payload.repository.full_name, number: issue.number, isPullRequest: Boolean(issue.pull_request), title: issue.title, url: issue.html_url,
            opening: { login: issue.user.login, association: issue.author_association, body: issue.body ?? '' },
            triggerCommentId: payload.comment.id,
          },
          deliveryClaimed: claimed,
        };
        await handleTrigger(trigger, client, config, deps);
      });

  const onReviewComment = (context: AnyContext, claimed: boolean) =>
      guarded(context, deps.log, async () => {
        const payload = parse(ReviewCommentPayload, context.payload, deps.log);
        const found = payload && (await mentioned(context, payload));
        if (!payload || !found) return;
        const { mention, client, senderRole, config } = found;
        const pr = payload.pull_request;
        const c = payload.comment;
        const trigger: Trigger = {
          deliveryId: context.id,
          installationId: payload.installation.id,
          repo: payload.repository.full_name,
          number: pr.number,
          isPullRequest: true,
          sender: c.user,
          comment: { kind: 'review', id: c.id, threadId: c.in_reply_to_id ?? c.id },
          request: mention,
          origin: 'mention',
          ...(senderRole ? { senderRole } : {}),
          facts: {
            repo: payload.repository.full_name, number: pr.number, isPullRequest: true, title: pr.title, url: pr.html_url,
            opening: { login: pr.user.login, association: pr.author_association, body: pr.body ?? '' },
            triggerCommentId: c.id,
            review: { path: c.path, line: c.line ?? c.original_line ?? null, startLine: c.start_line ?? null, diffHunk: c.diff_hunk },
          },
          pull: { headRef: pr.head.ref, headRepo: pr.head.repo?.full_name ?? null, headSha: pr.head.sha, baseRef: pr.base.ref },
          deliveryClaimed: claimed,
        };
        await handleTrigger(trigger, client, config, deps);
      });

  const onIssueEvent = (context: AnyContext, claimed: boolean) =>
      guarded(context, deps.log, async () => {
        const payload = parse(IssueEventPayload, context.payload, deps.log);
        if (!payload || payload.issue.pull_request) return;
        // Cheap checks first: most labels and assignees have nothing to do with Errand.
        if (payload.action === 'assigned') {
          const bot = await deps.botLogin();
          if (!bot || payload.assignee?.login.toLowerCase() !== bot.toLowerCase()) return;
        } else if (!payload.label) return;
        const config = await repoConfig(context);
        if (payload.action === 'assigned' && !config.assign) return;
        if (payload.action === 'labeled' && (!config.label || payload.label?.name.toLowerCase() !== config.label.toLowerCase())) return;
        const issue = payload.issue;
        const trigger: Trigger = {
          deliveryId: context.id,
          installationId: payload.installation.id,
          repo: payload.repository.full_name,
          number: issue.number,
          isPullRequest: false,
          sender: payload.sender,
          comment: null,
          request: { text: '', forceNew: false },
          origin: payload.action === 'assigned' ? 'assign' : 'label',
          facts: {
            repo: payload.repository.full_name, number: issue.number, isPullRequest: false, title: issue.title,
            opening: { login: issue.user.login, association: issue.author_association, body: issue.body ?? '' },
            triggerCommentId: null,
          },
          deliveryClaimed: claimed,
        };
        await handleTrigger(trigger, new GitHubClient(context.octokit), config, deps);
      });

  const handlers = { issue_comment: onComment, pull_request_review_comment: onReviewComment, issues: onIssueEvent };
  const defer = options.defer;
  /** Signature checked (Probot), delivery claimed once, handed to a job: the answer goes out now. */
  const accept = async (context: AnyContext) => {
    if (!mayAsk(context.name as TriggerEvent, context.payload, deps.trigger)) return;
    if (!(await deps.dedup.claim(`github:delivery:${context.id}`))) {
      deps.log.info({ delivery: context.id }, 'webhook redelivered; already handled');
      return;
    }
    await defer!({ deliveryId: context.id, name: context.name as DeferredDelivery['name'], payload: context.payload as unknown as DeferredDelivery['payload'] });
  };
  const register = (app: Probot) => {
    app.on(['issue_comment.created', 'issue_comment.edited'], (context) => (defer ? accept(context) : onComment(context, false)));
    app.on(['pull_request_review_comment.created', 'pull_request_review_comment.edited'], (context) => (defer ? accept(context) : onReviewComment(context, false)));
    app.on(['issues.assigned', 'issues.labeled'], (context) => (defer ? accept(context) : onIssueEvent(context, false)));
  };
  return Object.assign(register, { run: (delivery: DeferredDelivery, context: AnyContext) => handlers[delivery.name](context, true) });
}

/** The events that can ask for the agent; every other event is answered and dropped. */
export const triggerEvents = ['issue_comment', 'pull_request_review_comment', 'issues'] as const;
export type TriggerEvent = (typeof triggerEvents)[number];

export function isTriggerEvent(name: string): name is TriggerEvent {
  return (triggerEvents as readonly string[]).includes(name);
}

/** Cheap, payload-only: could this delivery ask for the agent? (Everything else is answered and dropped.) */
export function mayAsk(name: TriggerEvent, body: unknown, trigger: string): boolean {
  const payload = (body ?? {}) as { action?: string; comment?: { body?: string | null }; changes?: { body?: { from?: string | null } }; label?: unknown; assignee?: unknown };
  if (name === 'issues') return (payload.action === 'assigned' && Boolean(payload.assignee)) || (payload.action === 'labeled' && Boolean(payload.label));
  if (payload.action !== 'created' && payload.action !== 'edited') return false;
  if (!findMention(payload.comment?.body ?? '', trigger)) return false;
  return !(payload.action === 'edited' && findMention(payload.changes?.body?.from ?? '', trigger));
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, payload: unknown, log: Log): T | null {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  // A payload without an installation (a webhook from a repo that has not installed the app) lands here too.
  log.warn({ issues: result.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'github payload not understood; ignored');
  return null;
}

/** The commenter's role, asked for while the config is read: the answer is needed right after. */
function roleEarly(client: GitHubClient, repo: string, user: GitHubUser): Promise<string> | undefined {
  if (isBot(user)) return undefined;
  const role = client.permission(repo, user.login);
  role.catch(() => undefined);
  return role;
}

const configCacheSize = 1_000;

/**
 * `.github/errand.yml` per repository, kept a minute: reading it costs one or two API calls per
 * webhook otherwise. A changed file takes effect within a minute.
 */
class ConfigCache {
  private readonly entries = new Map<string, { at: number; config: Promise<RepoConfig> }>();

  constructor(private readonly ttlMs: number) {}

  get(context: AnyContext, log: Log): Promise<RepoConfig> {
    const key = context.payload.repository.full_name.toLowerCase();
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.config;
    const config = context.config(repoConfigFile, {}).then((raw) => {
      const { config: parsed, problems } = parseRepoConfig(raw);
      if (problems.length > 0) log.warn({ repo: key, problems }, 'errand.yml has invalid values; using defaults for them');
      return parsed;
    });
    config.catch(() => this.entries.delete(key));
    if (this.entries.size >= configCacheSize) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { at: Date.now(), config });
    return config;
  }
}

/**
 * GitHub refusing the installation (uninstalled, suspended, a repo not in the installation) is not
 * an error of ours: log it and answer 200. Anything else fails the delivery so it shows in GitHub.
 */
async function guarded(context: AnyContext, log: Log, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const status = statusOf(error);
    if (status === 401 || status === 403 || status === 404) {
      log.warn({ err: error, delivery: context.id, status }, 'github refused the installation; webhook ignored');
      return;
    }
    throw error;
  }
}
