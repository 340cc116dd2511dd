import { isErrandError } from '../../core/index.js';
import { escape } from './blocks.js';

/** Slack API errors that mean "the bot is not where it needs to be", with the fix. */
const slackFixes: Record<string, string> = {
  not_in_channel: "I'm not in this channel: invite me with `/invite @errand`, then try again.",
  channel_not_found: "I can't see this channel: invite me with `/invite @errand` (private channels need an invite), then try again.",
  is_archived: 'This channel is archived.',
  missing_scope: 'The Slack app is missing a permission: reinstall it from manifest.json (see docs/slack.md).',
};

/** The Slack error code of a @slack/web-api platform error, if it is one. */
export function slackErrorCode(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}

/** What to tell the person, ephemerally, when their request failed: what went wrong and the fix. */
export function explain(error: unknown): string {
  if (isErrandError(error)) {
    // Messages may quote what the person typed: escaped, so `<!channel>` in it cannot ping.
    const message = escape(error.message);
    switch (error.code) {
      case 'forbidden':
        return `:no_entry: Not allowed: ${message}`;
      case 'not_configured':
        return `:gear: Not set up yet: ${message}`;
      case 'unknown_option':
      case 'empty_prompt':
      case 'invalid_request':
        return `:warning: ${message}`;
      case 'not_found':
        return `:mag: ${message}`;
      default:
        return `:warning: ${message} (${error.code})`;
    }
  }
  const slack = slackErrorCode(error);
  if (slack) return `:warning: ${slackFixes[slack] ?? `Slack refused the request (${slack}).`}`;
  return ':warning: Something went wrong on our side; the server log has the details. Try again in a moment.';
}
