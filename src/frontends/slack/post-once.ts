import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { SlackMessage } from './blocks.js';
import type { SlackState } from './state.js';

const posting = 'posting';
export const metadataType = 'errand_message';

/** What conversations.replies tells us of a message; the rest is kept and ignored. */
const ThreadMessage = z.looseObject({
  ts: z.string(),
  metadata: z.looseObject({ event_type: z.string().optional(), event_payload: z.looseObject({ key: z.unknown().optional() }).optional() }).optional(),
});

export interface PostOnceTarget {
  agentId: string;
  /** The state field that records this message: `reply|<conversation>|<event id>|<part>`. */
  field: string;
  channel: string;
  threadTs: string;
}

/**
 * Posts a thread reply at most once. The field is claimed (`posting`) before the call and holds
 * the message's ts after it. A claim without a ts means an earlier attempt's outcome is unknown (a
 * timeout, a crash, a 429 storm that outlasted the client's retries): then the thread is searched
 * for the message's metadata key, and the message is posted again only if it is not there.
 * Returns the message's ts.
 */
export async function postOnce(client: webApi.WebClient, state: SlackState, target: PostOnceTarget, message: SlackMessage): Promise<string> {
  const { agentId, field, channel, threadTs } = target;
  const key = `${agentId}|${field}`;
  if (!(await state.claim(agentId, field, posting))) {
    const value = await state.get(agentId, field);
    if (value && value !== posting) return value;
    const found = await findInThread(client, channel, threadTs, key);
    if (found) {
      await state.set(agentId, field, found);
      return found;
    }
  }
  const result = await client.chat.postMessage({
    channel,
    thread_ts: threadTs,
    text: message.text,
    blocks: message.blocks,
    metadata: { event_type: metadataType, event_payload: { key } },
    unfurl_links: false,
    unfurl_media: false,
  });
  const ts = result.ts ?? '';
  await state.set(agentId, field, ts);
  return ts;
}

async function findInThread(client: webApi.WebClient, channel: string, threadTs: string, key: string): Promise<string | null> {
  let cursor: string | undefined;
  do {
    const page = await client.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const raw of page.messages ?? []) {
      const parsed = ThreadMessage.safeParse(raw);
      if (parsed.success && parsed.data.metadata?.event_type === metadataType && parsed.data.metadata.event_payload?.key === key) return parsed.data.ts;
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return null;
}
