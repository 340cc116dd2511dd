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
 * launch request, so `stop the flaky test from failing` is a prompt, not a stop. A sub-command
 * word is never a prompt, though: `stop ag_typo`, `stop ag_7k2m9x4p1q3r.` or `help.` stay commands
 * (an unknown id is answered "no such agent", never launched as "stop …").
 */
export function parseCommand(text: string): SlackCommand {
  const trimmed = unwrapLinks(text).trim();
  const word = trimmed.split(/\s+/, 1)[0] ?? '';
  const rest = trimmed.slice(word.length).trim();
  const first = unpunctuated(word).toLowerCase();
  const bare = !unpunctuated(rest);
  switch (first) {
    case 'help':
      if (bare) return { kind: 'help' };
      break;
    case 'list':
      if (bare) return { kind: 'list' };
      break;
    case 'settings':
      if (bare) return { kind: 'settings' };
      break;
    case 'stop': {
      if (bare) return { kind: 'stop' };
      const target = unpunctuated(rest.split(/\s+/, 1)[0] ?? '');
      if (isAgentId(target) || /^ag_/i.test(target) || !/\s/.test(rest)) return { kind: 'stop', agentId: target };
      break;
    }
    case 'agent':
      if (word.toLowerCase() === 'agent') return { kind: 'launch', text: rest, forceNew: true };
      break;
  }
  return { kind: 'launch', text: trimmed, forceNew: false };
}

/** A word without the quotes, code ticks and punctuation people put around or after it. */
function unpunctuated(word: string): string {
  return word.replace(/^[`'"(<*_]+|[`'".,;:!?)>*_]+$/g, '');
}

/**
 * Slack sends links in message text as `<https://…>` or `<https://…|label>`: back to the plain URL,
 * so `repo=<https://git.example.com/acme/app.git>` names the repository. Only web links: user,
 * channel and special mentions (`<@U…>`, `<#C…>`, `<!here>`) stay as they are.
 */
export function unwrapLinks(text: string): string {
  return text.replace(/<(https?:\/\/[^|>\s]+)(?:\|[^>]*)?>/g, '$1');
}

/** Removes the bot's own mention (`<@U123>` or `<@U123|errand>`) from a message's text. */
export function stripMention(text: string, botUserId: string): string {
  return text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ').replace(/[ \t]+/g, ' ').trim();
}
