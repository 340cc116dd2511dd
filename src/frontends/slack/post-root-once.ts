import { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { SlackMessage } from './blocks.js';
import { metadataType, postMessage } from './post-once.js';
import type { SlackState } from '../../store/redis/slack-state.js';

const posting = 'posting';

/** Tries of a root message whose outcome was unknown (a 5xx, a broken connection). */
const rootAttempts = 3;

const ChannelMessage = z.looseObject({
  ts: z.string(),
  metadata: z.looseObject({ event_type: z.string().optional(), event_payload: z.looseObject({ key: z.unknown().optional() }).optional() }).optional(),
});

export interface RootTarget {
  agentId: string;
  /** The state field that records the root message. */
  field: string;
  channel: string;
}

/**
 * Posts the root message of a new agent's thread in a channel, riding out a passing Slack failure
 * without ever showing it twice: the intent is stored first, the message carries a metadata key,
 * and after a 5xx or a broken connection the channel's recent history is searched for that key
 * before posting again. A refusal (an error answer) is not retried: it posted nothing. Called again
 * for the same agent (the launch job retried), it returns the message an earlier run posted.
 */
export async function postRootOnce(
  client: webApi.WebClient,
  poster: webApi.WebClient,
  state: SlackState,
  target: RootTarget,
  message: SlackMessage,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<string> {
  const { agentId, field, channel } = target;
  const key = `${agentId}|${field}`;
  if (!(await state.claim(agentId, field, posting))) {
    // An earlier run of the same request (a retried job) got this far: its message, if Slack has it.
    const earlier = await state.get(agentId, field);
    if (earlier && earlier !== posting) return earlier;
    const found = await findInChannel(client, channel, key);
    if (found) {
      await state.set(agentId, field, found);
      return found;
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const ts = await postMessage(poster, {
        channel,
        text: message.text,
        blocks: message.blocks,
        metadata: { event_type: metadataType, event_payload: { key } },
        unfurl_links: false,
        unfurl_media: false,
      });
      await state.set(agentId, field, ts);
      return ts;
    } catch (error) {
      if (!outcomeUnknown(error) || attempt >= rootAttempts) {
        await state.delete(agentId, field);
        throw error;
      }
      await sleep(200 * attempt);
      const found = await findInChannel(client, channel, key);
      if (found) {
        await state.set(agentId, field, found);
        return found;
      }
    }
  }
}

/** No answer, or a 5xx: Slack may or may not have posted. */
function outcomeUnknown(error: unknown): boolean {
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code === webApi.ErrorCode.RequestError) return true;
  return code === webApi.ErrorCode.HTTPError && typeof statusCode === 'number' && statusCode >= 500;
}

/** The channel's newest messages (ours was posted moments ago) searched for the metadata key. */
async function findInChannel(client: webApi.WebClient, channel: string, key: string): Promise<string | null> {
  const page = await client.conversations.history({ channel, include_all_metadata: true, limit: 100 });
  for (const raw of page.messages ?? []) {
    const parsed = ChannelMessage.safeParse(raw);
    if (parsed.success && parsed.data.metadata?.event_type === metadataType && parsed.data.metadata.event_payload?.key === key) return parsed.data.ts;
  }
  return null;
}
