import { createHmac, randomBytes } from 'node:crypto';

export interface SignedPost {
  status: number;
  body: string;
  json(): unknown;
}

/** Slack's v0 signature: HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  secret: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Overrides the computed signature (for forgeries). */
  signature?: string;
  retryNum?: number;
}

/** POSTs a body to Errand exactly as Slack does: signed, with the timestamp header. */
export async function postSigned(url: string, body: string, contentType: string, options: PostOptions): Promise<SignedPost> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': options.signature ?? slackSignature(options.secret, timestamp, body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text, json: () => JSON.parse(text) as unknown };
}

export interface SlashCommand {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  teamId?: string;
  responseUrl: string;
  triggerId?: string;
}

/** A slash command's form body, as Slack sends it. */
export function slashCommandBody(command: SlashCommand): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: command.teamId ?? 'T1',
    team_domain: 'acme',
    channel_id: command.channelId ?? 'C1',
    channel_name: 'dev',
    user_id: command.userId ?? 'U1',
    user_name: command.userName ?? 'ada',
    command: '/agent',
    text: command.text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: command.responseUrl,
    trigger_id: command.triggerId ?? `trigger-${randomBytes(4).toString('hex')}`,
  }).toString();
}

export interface EventOptions {
  eventId?: string;
  teamId?: string;
  external?: boolean;
}

/** An Events API envelope (`event_callback`) around one event. */
export function eventBody(event: Record<string, unknown>, options: EventOptions = {}): string {
  const teamId = options.teamId ?? 'T1';
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: teamId,
    api_app_id: 'A1',
    event,
    type: 'event_callback',
    event_id: options.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: options.external ?? false,
  });
}

/** An interactivity payload (block_actions, view_submission), form-encoded as Slack sends it. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
