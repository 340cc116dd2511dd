import { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { SlackMessage } from './blocks.js';
import type { SlackState } from '../../store/redis/slack-state.js';

const posting = 'posting';
export const metadataType = 'errand_message';

/** What conversations.replies tells us of a message; the rest is kept and ignored. */
const ThreadMessage = z.looseObject({
  ts: z.string(),
  metadata: z.looseObject({ event_type: z.string().optional(), event_payload: z.looseObject({ key: z.unknown().optional() }).optional() }).optional(),
});

/** A 429 means Slack did not post: wait Retry-After and try again, this many times. */
const rateLimitWaits = 5;

type PostArgs = Parameters<webApi.WebClient['chat']['postMessage']>[0];

/**
 * Posts with a client that never retries by itself (a retried post whose first answer was lost
 * would show twice): a 429 waits Retry-After and tries again, since Slack posted nothing; any other
 * failure is thrown. `sentNothing` tells whether Slack surely posted nothing (a refusal) or the
 * outcome is unknown (the connection broke).
 */
export async function postMessage(poster: webApi.WebClient, args: PostArgs, sleep = defaultSleep): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await poster.chat.postMessage(args);
      return result.ts ?? '';
    } catch (error) {
      const retryAfter = (error as { code?: unknown; retryAfter?: unknown }).code === webApi.ErrorCode.RateLimitedError ? (error as { retryAfter: number }).retryAfter : null;
      if (retryAfter === null || attempt >= rateLimitWaits) throw error;
      await sleep(retryAfter * 1000);
    }
  }
}

/** Slack answered and refused (or rate-limited past our patience): nothing was posted. */
export function sentNothing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === webApi.ErrorCode.PlatformError || code === webApi.ErrorCode.RateLimitedError || code === webApi.ErrorCode.HTTPError;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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
 * for the message's metadata key, and the message is posted again only if it is not there. Slack's
 * refusals (an error answer, a 429 that outlasts our waits) free the claim: nothing was posted.
 * Returns the message's ts.
 */
export async function postOnce(client: webApi.WebClient, poster: webApi.WebClient, state: SlackState, target: PostOnceTarget, message: SlackMessage): Promise<string> {
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
  let ts: string;
  try {
    ts = await postMessage(poster, {
      channel,
      thread_ts: threadTs,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: metadataType, event_payload: { key } },
      unfurl_links: false,
      unfurl_media: false,
    });
  } catch (error) {
    // A refusal posted nothing: free the claim. Otherwise keep it: the next try looks first.
    if (sentNothing(error)) await state.delete(agentId, field);
    throw error;
  }
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
