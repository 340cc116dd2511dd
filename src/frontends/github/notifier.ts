import type { Agent, Conversation, GitHubThread, Log, Notifier, StoredEvent, View } from '../../core/index.js';
import { conversationKey } from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import { outcomeUnknown, type GitHubClient } from './github-client.js';
import { applyEvent, newTrackingState, renderTracking, startsNewRound, trackingMarker, type TrackingState } from './tracking.js';
import type { TrackingStore } from './tracking-store.js';

export interface GitHubNotifierDeps {
  /** A client authenticated as the installation. */
  client(installationId: number): Promise<GitHubClient>;
  tracking: TrackingStore;
  scrubber: Scrubber;
  log: Log;
  /** ERRAND_PUBLIC_URL, for a link to the agent's page. */
  publicUrl?: string | undefined;
  /** The app's bot login (`errand[bot]`), to recognise its own comments when recovering one. */
  botLogin(): Promise<string | null>;
}

/**
 * Renders an agent's progress into ONE tracking comment per round in the issue or PR (or a reply in
 * the review thread it was asked in), edited in place as events arrive.
 */
export class GitHubNotifier implements Notifier {
  readonly kind = 'github' as const;

  constructor(private readonly deps: GitHubNotifierDeps) {}

  async notify(agent: Agent, conversation: Conversation, events: StoredEvent[], view: View): Promise<void> {
    if (conversation.kind !== 'github') return;
    // One tracking comment per conversation: the PR body links to the instead of a copy here.
    if (tracksInOrigin(agent, conversation)) return;
    const key = conversationKey(conversation);
    const client = await this.deps.client(conversation.installationId);
    let state = (await this.deps.tracking.get(agent.id, key)) ?? newTrackingState();
    let changed = state.commentId === null;
    for (const event of events) {
      if (startsNewRound(state, event)) {
        // The finished round keeps its comment and final header; the resumed run gets a new one.
        // A round that never had a comment here (a conversation linked later) is history: skip it.
        if (changed && (state.commentId !== null || state.pendingSince)) await this.sync(client, agent, conversation, key, state, view);
        state = newTrackingState(state.round + 1);
      }
      const next = applyEvent(state, event);
      if (next !== state) changed = true;
      state = next;
    }
    if (changed) await this.sync(client, agent, conversation, key, state, view);
  }

  /** Makes the round's comment show `state`: edits it, or creates it exactly once. */
  private async sync(client: GitHubClient, agent: Agent, conversation: GitHubThread, key: string, state: TrackingState, view: View): Promise<void> {
    const agentUrl = this.deps.publicUrl ? `${this.deps.publicUrl.replace(/\/$/, '')}/agents/${agent.id}` : null;
    const body = this.deps.scrubber.scrub(renderTracking(agent, state, view, { agentUrl }));
    const commentKind = conversation.reviewCommentId ? 'review' : 'issue';
    if (state.commentId === null && state.pendingSince) {
      // An earlier create got no clear answer: find the comment it may have made before posting.
      const found = await this.findPosted(client, agent.id, conversation, state);
      if (found) state = { ...state, commentId: found, pendingSince: null };
    }
    if (state.commentId !== null) {
      await client.edit(commentKind, conversation.repo, state.commentId, body);
      await this.deps.tracking.set(agent.id, key, state);
      return;
    }
    const pending = { ...state, pendingSince: new Date(Date.now() - 60_000).toISOString() };
    await this.deps.tracking.set(agent.id, key, pending);
    try {
      const posted = await client.post(conversation.repo, conversation.number, body, conversation.reviewCommentId);
      await this.deps.tracking.set(agent.id, key, { ...state, commentId: posted.id, pendingSince: null });
      this.deps.log.info({ agentId: agent.id, conversation: key, commentId: posted.id }, 'tracking comment created');
    } catch (error) {
      // GitHub refused it (4xx): nothing was posted, so the next try may simply post again.
      if (!outcomeUnknown(error)) await this.deps.tracking.set(agent.id, key, state);
      throw error;
    }
  }

  private async findPosted(client: GitHubClient, agentId: string, conversation: GitHubThread, state: TrackingState): Promise<number | null> {
    const marker = trackingMarker(agentId, state.round);
    const bot = await this.deps.botLogin();
    const comments = await client.list(conversation.reviewCommentId ? 'review' : 'issue', conversation.repo, conversation.number, { ...(state.pendingSince ? { since: state.pendingSince } : {}), max: 500 });
    const mine = comments.filter((c) => c.body.includes(marker) && (bot === null || c.login === bot));
    return mine[0]?.id ?? null;
  }
}

/**
 * The pull request of an agent asked for in an issue of the same repository: its progress stays in
 * the tracking comment (the PR body points there), so the PR gets no second one.
 */
export function tracksInOrigin(agent: Pick<Agent, 'conversations'>, conversation: GitHubThread): boolean {
  const origin = agent.conversations[0];
  // An issue-started agent only gains a PR conversation through its own PR (opened, or mentioned on).
  if (!conversation.isPullRequest) return false;
  if (origin?.kind !== 'github' || origin.isPullRequest) return false;
  return origin.repo.toLowerCase() === conversation.repo.toLowerCase() && origin.number !== conversation.number;
}
