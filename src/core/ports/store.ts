import type { Agent } from '../agent.js';
import type { AuditEntry, StoredAuditEntry } from '../audit.js';
import type { AgentEvent, StoredEvent } from '../events.js';
import type { Principal } from '../principal.js';
import type { Settings } from '../settings.js';
import type { AgentStatus } from '../status.js';

export interface AgentQuery {
  owner?: Principal;
  workspace?: string;
  conversationKey?: string;
  status?: AgentStatus[];
  repo?: string;
  /** Case-insensitive match against title, prompt, repo and branch. */
  text?: string;
  /** Newest first; at most this many (default 50). */
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** Agents queued, preparing or running: in a workspace, and of one person. */
export interface ActiveCounts {
  workspace: number;
  owner: number;
}

/** Where a queued agent waits: its place among the workspace's queued agents (1 = next) and how many run now. */
export interface QueuePosition {
  position: number;
  running: number;
}

export interface AgentPage {
  agents: Agent[];
  nextCursor: string | null;
}

export interface AgentStore {
  create(agent: Agent): Promise<void>;
  get(id: string): Promise<Agent | null>;
  /**
   * Read-modify-write without lost updates: `change` gets the current record and returns the new
   * one; the store retries if someone else wrote in between. Throws not_found for unknown ids.
   */
  update(id: string, change: (agent: Agent) => Agent): Promise<Agent>;
  list(query: AgentQuery): Promise<AgentPage>;
  /** Links the agent to one more conversation key so later mentions there find it. */
  linkConversation(agentId: string, conversationKey: string): Promise<void>;
  /** Active agents of the workspace and of the owner, from counts kept with the records (no scan). */
  activeCounts(workspace: string, owner: Principal): Promise<ActiveCounts>;
  /** A queued agent's place in its workspace's queue, oldest first, from the per-status indexes (no scan). */
  queuePosition(agent: Pick<Agent, 'id' | 'workspace'>): Promise<QueuePosition>;
}

/** Everything the store keeps of one agent, across every part that keeps something. */
export interface AgentKeys {
  /**
   * Deletes the agent's keys and index entries: record, indexes, events, inbox, model history,
   * notification cursors, front ends' conversation state, webhook secret, claims. With
   * `keepRecord` (expiry), the record and its indexes stay until their TTL.
   */
  forget(agent: Agent, options?: { keepRecord?: boolean }): Promise<void>;
}

export interface EventLog {
  append(agentId: string, event: AgentEvent): Promise<StoredEvent>;
  /** Events strictly after `after` (an event id), oldest first. */
  read(agentId: string, options?: { after?: string; limit?: number }): Promise<StoredEvent[]>;
  /** Every event after `after`, then new ones as they come, until the signal aborts. */
  follow(agentId: string, options: { after?: string; signal: AbortSignal }): AsyncIterable<StoredEvent>;
  /** Drops the transcript (privacy mode after a run, or expiry). */
  clear(agentId: string): Promise<void>;
}

export interface FollowUp {
  author: Principal;
  text: string;
  /** The conversation key it came from. */
  source: string;
  at: string;
}

export interface Inbox {
  /**
   * Queues a follow-up; returns its position in the queue (1 = next). With a `requestId` (the
   * platform's delivery or event id) it is queued once: a retried delivery gets null.
   */
  push(agentId: string, followUp: FollowUp, requestId?: string): Promise<number | null>;
  /** Takes every waiting follow-up, oldest first. */
  drain(agentId: string): Promise<FollowUp[]>;
  size(agentId: string): Promise<number>;
}

/** Agents archived through API v1: hidden from lists and given no new prompts until unarchived. */
export interface ArchiveFlags {
  /** When the agent was archived, or null. */
  archivedAt(agentId: string): Promise<string | null>;
}

/** Remembers platform deliveries (Slack event ids, GitHub delivery ids) so retries do nothing. */
export interface DedupStore {
  /** True the first time a key is claimed within the TTL, false after. */
  claim(key: string, ttlSeconds?: number): Promise<boolean>;
}

export interface SettingsStore {
  get(workspace: string): Promise<Settings>;
  set(workspace: string, settings: Settings): Promise<void>;
}

/** Who did what in a workspace, and when: launches, follow-ups, stops, setting and secret changes. */
export interface AuditLog {
  /** Records an entry; `at` defaults to now. Entries older than the retention window are dropped. */
  append(entry: Omit<AuditEntry, 'at'> & { at?: string }): Promise<StoredAuditEntry>;
  /** Newest first; `before` is an entry id from a previous page. */
  list(workspace: string, options?: { limit?: number; before?: string }): Promise<StoredAuditEntry[]>;
}
