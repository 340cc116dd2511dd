import { conversationKey, isActive, principalKey, type Agent } from '../../core/index.js';
import type { Keys } from './keys.js';

/** Words shorter than this are not indexed (and ignored in a search): too common to narrow it. */
const minWordLength = 2;
/** At most this many distinct words of one agent are indexed. */
const maxWords = 40;

/**
 * The words search finds an agent by: lower-cased runs of letters and digits, in the order they
 * first appear, without repeats. Queries are split the same way, so `login-test` finds `login`.
 */
export function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0].slice(0, 64);
    if (word.length >= minWordLength) words.add(word);
    if (words.size >= maxWords) break;
  }
  return [...words];
}

/** What an agent is found by in search: its title, repository and branch. */
export function indexedText(agent: Agent): string {
  return `${agent.title}\n${agent.repo?.fullName ?? agent.repo?.url ?? ''}\n${agent.branch}`;
}

/**
 * Every shared sorted set an agent is a member of (scored by its creation time), as a function of
 * the record alone: a write moves the agent from the sets of the old record to those of the new
 * one in the same script, and forget removes it from all of them.
 */
export function agentIndexKeys(keys: Keys, agent: Agent): string[] {
  const owner = principalKey(agent.owner);
  const indexes = [
    keys.agentsAll(),
    keys.agentsByWorkspace(agent.workspace),
    keys.agentsByOwner(owner),
    keys.agentsByStatus(agent.workspace, agent.status),
    keys.agentsByStatusAll(agent.status),
    ...searchWords(indexedText(agent)).map((word) => keys.agentsByWord(agent.workspace, word)),
  ];
  if (isActive(agent.status)) indexes.push(keys.activeAgents(agent.workspace), keys.activeAgentsOfOwner(owner));
  return indexes;
}

/** The conversation indexes of an agent (scored by when the conversation was linked). */
export function agentConversationKeys(keys: Keys, agent: Agent): string[] {
  return agent.conversations.filter((c) => c.kind !== 'api').map((c) => keys.agentsByConversation(conversationKey(c)));
}

/** Index keys in `from` and not in `to`. */
export function keysMissingFrom(from: readonly string[], to: readonly string[]): string[] {
  const kept = new Set(to);
  return from.filter((key) => !kept.has(key));
}
