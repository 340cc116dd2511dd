import type { RedisGitHubTracking } from '../../store/redis/github-tracking.js';
import { TrackingState } from './tracking.js';

/**
 * The tracking comment of each agent in each conversation, with what it shows: kept in the store so
 * a retry, a restart or another web process edits the same comment instead of posting a new one.
 */
export class TrackingStore {
  constructor(private readonly store: Pick<RedisGitHubTracking, 'get' | 'set'>) {}

  async get(agentId: string, conversationKey: string): Promise<TrackingState | null> {
    const raw = await this.store.get(agentId, conversationKey);
    if (!raw) return null;
    const parsed = TrackingState.safeParse(safeJson(raw));
    return parsed.success ? parsed.data : null;
  }

  async set(agentId: string, conversationKey: string, state: TrackingState): Promise<void> {
    await this.store.set(agentId, conversationKey, JSON.stringify(state));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
