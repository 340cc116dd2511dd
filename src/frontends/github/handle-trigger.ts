import {
  ErrandError,
  isErrandError,
  parseLaunchRequest,
  type Agent,
  type AgentService,
  type DedupStore,
  conversationKey,
  type GitHubThread,
  type Leases,
  type Log,
  type Principal,
  type Settings,
  type SettingsStore,
} from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import { buildAgentContext, type ThreadFacts } from './agent-context.js';
import { statusOf, type CommentKind, type GitHubClient, type ListedComment } from './github-client.js';
import type { Mention } from './mention.js';
import type { GitHubUser } from './payloads.js';
import { replies } from './replies.js';
import type { RepoConfig } from './repo-config.js';
import { Trust } from './trust.js';

/** One request for the agent, whatever GitHub event carried it. */
export interface Trigger {
  deliveryId: string;
  installationId: number;
  repo: string;
  number: number;
  isPullRequest: boolean;
  sender: GitHubUser;
  /** The comment that asked: it gets the 👀, and a review comment's thread gets the replies. */
  comment: { kind: CommentKind; id: number; threadId: number } | null;
  request: Mention;
  /** `mention` continues the conversation's agent; `assign`/`label` only start one if none is active. */
  origin: 'mention' | 'assign' | 'label';
  facts: Omit<ThreadFacts, 'pull'>;
  /** The sender's role, looked up while the repository's config was read. */
  senderRole?: Promise<string>;
  /** Known from the payload for review comments; fetched for PR conversation comments. */
  pull?: { headRef: string; headRepo: string | null; headSha: string; baseRef: string };
  /** The delivery id was claimed when the webhook was accepted (the job path). */
  deliveryClaimed?: boolean;
}

export interface TriggerDeps {
  agents: AgentService;
  dedup: DedupStore;
  /** Short claims on a conversation while its agent is being started, so two mentions start one. */
  claims: Leases;
  settings: SettingsStore;
  scrubber: Scrubber;
  log: Log;
  trigger: string;
  botLogin(): Promise<string | null>;
  /** Runs GitHub writes (reactions, replies) after the webhook is answered; they are throttled. */
  background(what: string, task: () => Promise<unknown>): void;
}

export type TriggerOutcome = 'ignored_bot' | 'denied' | 'unchecked' | 'duplicate' | 'launched' | 'followed_up' | 'resumed' | 'refused' | 'busy' | 'stopped';

const deniedTtlSeconds = 365 * 86_400;

export function isBot(user: GitHubUser): boolean {
  return user.type === 'Bot' || /\[bot\]$/i.test(user.login);
}

export function githubPrincipal(installationId: number, user: GitHubUser): Principal {
  return { kind: 'github', workspace: String(installationId), id: user.login, name: user.login, email: `${user.login}@users.noreply.github.com`, isBot: user.type === 'Bot' };
}

function listedIn(list: readonly string[], login: string, installationId: number): boolean {
  const lower = login.toLowerCase();
  return list.some((entry) => entry.toLowerCase() === lower || entry.toLowerCase() === `github:${installationId}:${lower}`);
}

/**
 * Verify, de-duplicate, hand to the core: who asked, whether they may, which agent it is for. GitHub
 * writes that only acknowledge (👀, "queued", refusals) run in the background so the webhook is
 * answered in milliseconds.
 */
export async function handleTrigger(trigger: Trigger, client: GitHubClient, repoConfig: RepoConfig, deps: TriggerDeps): Promise<TriggerOutcome> {
  const log = deps.log.child({ delivery: trigger.deliveryId, repo: trigger.repo, number: trigger.number });
  const workspace = String(trigger.installationId);
  const settings = await deps.settings.get(workspace);
  const listed = (login: string) =>
    listedIn(repoConfig.allow, login, trigger.installationId) || listedIn(settings.allowlist, login, trigger.installationId) || listedIn(settings.admins, login, trigger.installationId);
  const sender = trigger.sender;

  if (isBot(sender)) {
    // Bots (its own comments included) are ignored unless the workspace lists them as service accounts.
    const bot = await deps.botLogin();
    const own = bot !== null && sender.login.toLowerCase() === bot.toLowerCase();
    if (own || !listedIn(settings.serviceAccounts, sender.login, trigger.installationId)) {
      log.debug({ sender: sender.login }, 'mention from a bot ignored');
      return 'ignored_bot';
    }
  }

  const trust = new Trust(client, trigger.repo, listed, log);
  if (trigger.senderRole) trust.prime(sender.login, trigger.senderRole);
  const access = isBot(sender) ? 'write' : await trust.access(sender.login);
  if (access === 'unknown') {
    // GitHub could not tell us (a 5xx): say so, start nothing, and keep the one "no access" reply.
    log.warn({ sender: sender.login }, 'could not check the sender’s access');
    if (await deps.dedup.claim(`github:unchecked:${trigger.deliveryId}`)) post(trigger, client, deps, replies.unchecked(sender.login, deps.trigger));
    return 'unchecked';
  }
  if (access !== 'write') {
    log.info({ sender: sender.login }, 'mention from someone without write access');
    if (await deps.dedup.claim(`github:denied:${trigger.repo.toLowerCase()}#${trigger.number}`, deniedTtlSeconds)) {
      post(trigger, client, deps, replies.denied(sender.login, deps.trigger));
    }
    return 'denied';
  }

  if (trigger.comment) {
    const { kind, id } = trigger.comment;
    deps.background('eyes reaction', () =>
      client.react(kind, trigger.repo, id, 'eyes').catch((error: unknown) => {
        // The comment was deleted before we got to it: nothing to react to, nothing broken.
        if (statusOf(error) === 404) return;
        throw error;
      }),
    );
  }

  if (!trigger.deliveryClaimed && !(await deps.dedup.claim(`github:delivery:${trigger.deliveryId}`))) {
    log.info({}, 'webhook redelivered; already handled');
    return 'duplicate';
  }
  // The same comment can come again under another delivery id (GitHub redelivers, or sends an
  // event twice): one comment is one request.
  if (trigger.comment && !(await deps.dedup.claim(`github:comment:${trigger.comment.kind}:${trigger.repo.toLowerCase()}:${trigger.comment.id}`))) {
    log.info({ commentId: trigger.comment.id }, 'comment already handled under another delivery');
    return 'duplicate';
  }

  const principal = githubPrincipal(trigger.installationId, sender);
  const conversation: GitHubThread = {
    kind: 'github',
    installationId: trigger.installationId,
    repo: trigger.repo,
    number: trigger.number,
    isPullRequest: trigger.isPullRequest,
    ...(trigger.comment?.kind === 'review' ? { reviewCommentId: trigger.comment.threadId } : {}),
  };

  try {
    if (trigger.origin === 'mention' && !trigger.request.forceNew && isStopRequest(trigger.request.text)) {
      return await stop(trigger, principal, conversation, client, deps);
    }
    if (trigger.request.forceNew) return await launch(trigger, principal, conversation, client, trust, deps, settings);
    const existing = await deps.agents.findByConversation(conversation);
    const continued = await continueExisting(existing, trigger, principal, conversation, client, deps);
    if (continued) return continued;
    // One conversation, one agent: whoever claims the conversation first starts it; a mention
    // arriving meanwhile waits for that agent and becomes its follow-up.
    const claim = `github-launch:${conversationKey(conversation)}`;
    const token = await deps.claims.acquire(claim, launchClaimMs);
    if (!token) {
      const started = await waitForNewAgent(deps, conversation, existing?.id);
      const joined = started && (await continueExisting(started, trigger, principal, conversation, client, deps));
      if (joined) return joined;
      log.warn({}, 'another launch in this conversation did not finish; starting one');
    }
    try {
      return await launch(trigger, principal, conversation, client, trust, deps, settings);
    } finally {
      if (token) await deps.claims.release(claim, token);
    }
  } catch (error) {
    if (!isErrandError(error)) throw error;
    log.info({ code: error.code }, 'request refused');
    post(trigger, client, deps, replies.refused(sender.login, error.message));
    return 'refused';
  }
}

const launchClaimMs = 15_000;
const launchWaitMs = 5_000;

/** A mention continues the conversation's agent; an assignment or label only notes that one is busy. */
async function continueExisting(
  existing: Agent | null,
  trigger: Trigger,
  principal: Principal,
  conversation: GitHubThread,
  client: GitHubClient,
  deps: TriggerDeps,
): Promise<TriggerOutcome | null> {
  if (!existing || existing.status === 'expired') return null;
  if (trigger.origin === 'mention') return followUp(existing, trigger, principal, conversation, client, deps);
  return ['queued', 'preparing', 'running'].includes(existing.status) ? 'busy' : null;
}

/** Waits (briefly: the webhook is answered after this) for another delivery's launch in the conversation. */
async function waitForNewAgent(deps: TriggerDeps, conversation: GitHubThread, previousId: string | undefined): Promise<Agent | null> {
  const deadline = Date.now() + launchWaitMs;
  while (Date.now() < deadline) {
    const found = await deps.agents.findByConversation(conversation);
    if (found && found.id !== previousId) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

/** `@errand stop` (a period or `!` allowed): a command, never a follow-up with the text "stop". */
export function isStopRequest(text: string): boolean {
  return /^stop\s*[.!]*$/i.test(text.trim());
}

/** Stops this conversation's agent, with the rights a Slack thread gives (owner, admins, team follow-ups). */
async function stop(trigger: Trigger, principal: Principal, conversation: GitHubThread, client: GitHubClient, deps: TriggerDeps): Promise<TriggerOutcome> {
  const existing = await deps.agents.findByConversation(conversation);
  if (!existing || !['queued', 'preparing', 'running'].includes(existing.status)) {
    post(trigger, client, deps, replies.nothingToStop(principal.id));
    return 'stopped';
  }
  const after = await deps.agents.stop(existing.id, principal);
  post(trigger, client, deps, replies.stopping(principal.id, after.status === 'stopped'));
  return 'stopped';
}

async function followUp(agent: Agent, trigger: Trigger, principal: Principal, conversation: GitHubThread, client: GitHubClient, deps: TriggerDeps): Promise<TriggerOutcome> {
  // One follow-up per comment, however often its delivery or job is retried.
  const requestId = trigger.comment ? `github:${trigger.comment.kind}:${trigger.comment.id}` : `github:delivery:${trigger.deliveryId}`;
  const result = await deps.agents.followUp(agent.id, principal, trigger.request.text, conversation, false, { requestId });
  if (result.resumed) return 'resumed';
  post(trigger, client, deps, replies.queued(principal.id, result.position));
  return 'followed_up';
}

async function launch(
  trigger: Trigger,
  principal: Principal,
  conversation: GitHubThread,
  client: GitHubClient,
  trust: Trust,
  deps: TriggerDeps,
  settings: Settings,
): Promise<TriggerOutcome> {
  let pull: ThreadFacts['pull'];
  if (trigger.isPullRequest) {
    const p = trigger.pull ?? (await client.pull(trigger.repo, trigger.number));
    pull = { ...p, fork: (p.headRepo ?? '').toLowerCase() !== trigger.repo.toLowerCase() };
  }
  const bot = await deps.botLogin();
  const ignore = (c: ListedComment) =>
    (bot !== null && c.login.toLowerCase() === bot.toLowerCase()) || (c.userType === 'Bot' && !listedIn(settings.serviceAccounts, c.login, trigger.installationId));
  const context = deps.scrubber.scrub(await buildAgentContext({ ...trigger.facts, ...(pull ? { pull } : {}) }, client, trust, ignore));

  let text = trigger.request.text;
  if (!trigger.isPullRequest && !parseLaunchRequest(text).prompt) {
    // `@errand` alone (or assigning, or labelling) on an issue: the issue is the task.
    text = `${text} Resolve issue #${trigger.number}: ${trigger.facts.title}`.trim();
  }
  if (!parseLaunchRequest(text).prompt) {
    throw new ErrandError('empty_prompt', `tell me what to do, e.g. \`${deps.trigger} fix the failing test\``);
  }
  const { agent } = await deps.agents.launch({
    principal,
    workspace: String(trigger.installationId),
    conversation,
    text,
    context,
    impliedRepo: trigger.repo,
    ...(pull && !pull.fork ? { branch: pull.headRef } : {}),
    ...(pull ? { options: { branch: pull.baseRef } } : {}),
  });
  if (pull?.fork) post(trigger, client, deps, replies.fork(trigger.repo, agent.branch));
  return 'launched';
}

/** A reply where the request was made: in the review thread, or in the issue or PR. */
function post(trigger: Trigger, client: GitHubClient, deps: TriggerDeps, body: string): void {
  const threadId = trigger.comment?.kind === 'review' ? trigger.comment.threadId : undefined;
  deps.background('reply', () => client.post(trigger.repo, trigger.number, deps.scrubber.scrub(body), threadId));
}
