import type { webApi } from '@slack/bolt';
import {
  conversationKey,
  currentStep,
  type CurrentStep,
  viewFor,
  type Agent,
  type Conversation,
  type Log,
  type Notifier,
  type SettingsStore,
  type SlackThread,
  type StoredEvent,
  type View,
} from '../../core/index.js';
import { reactionFor, replyFor, statusMessage } from './blocks.js';
import { EditCoalescer } from './edit-coalescer.js';
import { slackErrorCode } from './errors.js';
import { postOnce } from './post-once.js';
import type { SlackState } from '../../store/redis/slack-state.js';

export interface SlackNotifierDeps {
  /** Re-read at render time: the dispatcher reads the agent before the events, so it can lag them. */
  agents: { get(agentId: string): Promise<Agent | null> };
  client: webApi.WebClient;
  /** Posts new messages; never retries on its own (see postOnce). */
  poster: webApi.WebClient;
  state: SlackState;
  settings: SettingsStore;
  publicUrl?: string | undefined;
  log: Log;
  /** At most one chat.update per status message per this many ms (default 1000: Slack's limit). */
  editGapMs?: number;
}

/** The status message was deleted or can no longer be edited: nothing to retry. */
const goneErrors = new Set(['message_not_found', 'cant_update_message', 'channel_not_found', 'is_archived', 'not_in_channel']);

export const statusField = (key: string) => `status|${key}`;
const stepField = 'step';

/**
 * Renders an agent's events into its Slack thread: the status message is edited in place from the
 * agent as it is now (so the latest state always lands, however many batches failed before), its
 * reaction follows the status, and milestones, errors and the summary become thread replies, each
 * posted at most once. Any failure throws, so the dispatcher offers the events again.
 */
export class SlackNotifier implements Notifier {
  readonly kind = 'slack' as const;
  private readonly edits: EditCoalescer;

  constructor(private readonly deps: SlackNotifierDeps) {
    this.edits = new EditCoalescer({ claim: (agentId, field, ms) => deps.state.claimEditWindow(agentId, field, ms),
      hold: (agentId, field, ms) => deps.state.holdEditWindow(agentId, field, ms),
      gapMs: deps.editGapMs ?? 1_000, log: deps.log });
  }

  /** Status edits waiting for their window. */
  get pendingEdits(): number {
    return this.edits.pending;
  }

  /** Sends the status edits still waiting for their window (call at shutdown). */
  flush(): Promise<void> {
    return this.edits.flush();
  }

  async notify(given: Agent, conversation: Conversation, events: StoredEvent[], view: View): Promise<void> {
    if (conversation.kind !== 'slack') return;
    const agent = (await this.deps.agents.get(given.id)) ?? given;
    const key = conversationKey(conversation);
    const seen = await this.viewNow(agent, conversation, view);
    const status = await this.statusMessage(agent, conversation, key, seen, await this.step(agent, events));
    if (status) await this.react(agent, key, status);
    for (const event of events) {
      const replies = replyFor(event, agent, seen);
      if (!replies) continue;
      for (const [part, message] of replies.entries()) {
        await postOnce(this.deps.client, this.deps.poster, this.deps.state, { agentId: agent.id, field: `reply|${key}|${event.id}|${part}`, channel: conversation.channelId, threadTs: conversation.threadTs }, message);
      }
    }
  }

  /**
   * A channel shared with another organisation after the agent started is external from then on:
   * the stored flag (kept current by channel_shared / channel_unshared) can only narrow the view,
   * and the core's policy decides what the narrower conversation may see.
   */
  private async viewNow(agent: Agent, conversation: SlackThread, view: View): Promise<View> {
    if (conversation.external || view === 'status') return view;
    if (!(await this.deps.state.channelExternal(conversation.teamId, conversation.channelId))) return view;
    return viewFor(agent, { ...conversation, external: true }, await this.deps.settings.get(agent.workspace));
  }

  /**
   * The step in flight: from this batch when it has tool steps or a status change, else the one
   * remembered from an earlier batch (a batch of output alone changes nothing).
   */
  private async step(agent: Agent, events: StoredEvent[]): Promise<CurrentStep | null> {
    if (!events.some((e) => e.type === 'tool_call' || e.type === 'tool_result' || e.type === 'status')) {
      const known = await this.deps.state.get(agent.id, stepField);
      return known ? (JSON.parse(known) as CurrentStep) : null;
    }
    const step = currentStep(events);
    await this.deps.state.set(agent.id, stepField, step ? JSON.stringify(step) : '');
    return step;
  }

  private async statusMessage(agent: Agent, conversation: SlackThread, key: string, view: View, step: CurrentStep | null): Promise<{ channel: string; ts: string } | null> {
    const message = statusMessage(agent, view, this.deps.publicUrl, step);
    const known = await this.deps.state.get(agent.id, statusField(key));
    if (!known || known === 'posting') {
      // A conversation the front end did not open (one added later): post the status message once.
      const ts = await postOnce(this.deps.client, this.deps.poster, this.deps.state, { agentId: agent.id, field: statusField(key), channel: conversation.channelId, threadTs: conversation.threadTs }, message);
      return { channel: conversation.channelId, ts };
    }
    const field = statusField(key);
    // Rendered when sent, from the agent as it is then: a deferred edit shows the latest state.
    const edit = async (fresh: Agent) => {
      const latest = statusMessage(fresh, view, this.deps.publicUrl);
      await this.deps.client.chat.update({ channel: conversation.channelId, ts: known, text: latest.text, blocks: latest.blocks });
    };
    const gone = (error: unknown): boolean => {
      const code = slackErrorCode(error);
      if (!code || !goneErrors.has(code)) return false;
      this.deps.log.warn({ agentId: agent.id, conversation: key, slackError: code }, 'slack status message is gone; not updating it');
      return true;
    };
    let isGone = false;
    try {
      await this.edits.submit(agent.id, field, async () => {
        const fresh = await this.deps.agents.get(agent.id);
        try {
          await edit(fresh ?? agent);
        } catch (error) {
          if (!gone(error)) throw error;
          isGone = true;
        }
      });
      return isGone ? null : { channel: conversation.channelId, ts: known };
    } catch (error) {
      if (gone(error)) return null;
      throw error;
    }
  }

  private async react(agent: Agent, key: string, status: { channel: string; ts: string }): Promise<void> {
    const wanted = reactionFor(agent.status);
    const field = `reaction|${key}`;
    const current = await this.deps.state.get(agent.id, field);
    if (current === wanted) return;
    if (current) await this.tolerate(['no_reaction', 'message_not_found'], () => this.deps.client.reactions.remove({ channel: status.channel, timestamp: status.ts, name: current }));
    await this.tolerate(['already_reacted', 'message_not_found'], () => this.deps.client.reactions.add({ channel: status.channel, timestamp: status.ts, name: wanted }));
    await this.deps.state.set(agent.id, field, wanted);
  }

  private async tolerate(codes: string[], call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const code = slackErrorCode(error);
      if (!code || !codes.includes(code)) throw error;
    }
  }
}
