import { isAgentId } from '../../core/index.js';

/** What a person asked for with `/agent …` or `@errand …`. */
export type SlackCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'settings' }
  | { kind: 'stop'; agentId?: string }
  /** `forceNew`: `agent <prompt>` starts a new agent even in a thread that has one. */
  | { kind: 'launch'; text: string; forceNew: boolean };

/**
 * Sub-commands are single words (`help`, `list`, `settings`, `stop [id]`); anything else is a
 * launch request, so `stop the flaky test from failing` is a prompt, not a stop.
 */
export function parseCommand(text: string): SlackCommand {
  const trimmed = text.trim();
  const first = trimmed.split(/\s+/, 1)[0] ?? '';
  const rest = trimmed.slice(first.length).trim();
  switch (first.toLowerCase()) {
    case 'help':
      if (!rest) return { kind: 'help' };
      break;
    case 'list':
      if (!rest) return { kind: 'list' };
      break;
    case 'settings':
      if (!rest) return { kind: 'settings' };
      break;
    case 'stop':
      if (!rest) return { kind: 'stop' };
      if (isAgentId(rest)) return { kind: 'stop', agentId: rest };
      break;
    case 'agent':
      return { kind: 'launch', text: rest, forceNew: true };
  }
  return { kind: 'launch', text: trimmed, forceNew: false };
}

/** Removes the bot's own mention (`<@U123>` or `<@U123|errand>`) from a message's text. */
export function stripMention(text: string, botUserId: string): string {
  return text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ').replace(/[ \t]+/g, ' ').trim();
}
