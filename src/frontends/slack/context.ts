import type { webApi } from '@slack/bolt';
import type { AgentService, DedupStore, Log, SettingsService, SettingsStore, SlackThread } from '../../core/index.js';
import type { People } from './people.js';
import type { SlackState } from '../../store/redis/slack-state.js';
import type { SlackTriggerJob } from '../../queue/slack-trigger-queue.js';

/** What every Slack listener needs; built once by createSlackFrontend. */
export interface SlackContext {
  agents: AgentService;
  settings: SettingsStore;
  settingsAdmin: Pick<SettingsService, 'update'>;
  dedup: DedupStore;
  state: SlackState;
  people: People;
  client: webApi.WebClient;
  /** For new messages: no retries of its own, so a lost answer never becomes a double post. */
  poster: webApi.WebClient;
  botUserId: string;
  botId: string;
  publicUrl?: string | undefined;
  log: Log;
  /** Hands an accepted request to the Slack trigger queue; its job does the work. */
  accept: (job: SlackTriggerJob) => Promise<void>;
  /** Runs work that need not hold the answer (a stop, the settings modal); awaited at shutdown. */
  background: (what: string, task: () => Promise<unknown>) => void;
}

export function slackThread(teamId: string, channelId: string, threadTs: string, external: boolean): SlackThread {
  return { kind: 'slack', teamId, channelId, threadTs, external };
}

/**
 * Whether a channel is shared with another organisation: the stored flag, else conversations.info
 * (then stored). A channel once seen as external stays so until channel_unshared says otherwise.
 */
export async function isExternalChannel(ctx: SlackContext, teamId: string, channelId: string): Promise<boolean> {
  const known = await ctx.state.channelExternal(teamId, channelId);
  if (known !== null) return known;
  try {
    const info = await ctx.client.conversations.info({ channel: channelId });
    const external = Boolean(info.channel?.is_ext_shared);
    await ctx.state.setChannelExternal(teamId, channelId, external);
    return external;
  } catch (error) {
    // A DM or a channel we cannot see: not shared as far as we can tell; do not store a guess.
    ctx.log.debug({ err: error, channelId }, 'conversations.info failed; treating channel as internal');
    return false;
  }
}

/** Tells one person something in a channel (or thread) that only they see. */
export async function whisper(ctx: SlackContext, channel: string, user: string, text: string, threadTs?: string): Promise<void> {
  try {
    await ctx.client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  } catch (error) {
    ctx.log.warn({ err: error, channel }, 'could not send an ephemeral message');
  }
}
