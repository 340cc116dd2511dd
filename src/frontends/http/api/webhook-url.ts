import { isIP } from 'node:net';

/** What a webhook URL may be. */
export interface WebhookUrlPolicy {
  /** Allow private, link-local and other internal address literals (tests, closed networks). */
  allowPrivate?: boolean;
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Why a webhook URL is refused, or null when it is fine. https anywhere public; http only to this
 * machine (localhost, 127.0.0.0/8, ::1), for local receivers. Address literals in private,
 * link-local (cloud metadata), carrier-grade NAT and unique-local ranges are refused unless
 * `allowPrivate`. Host names are not resolved here: a name pointing at an internal address is
 * checked again when the webhook is sent (see webhook-delivery.ts).
 */
export function webhookUrlProblem(text: string, policy: WebhookUrlPolicy = {}): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry credentials; use webhook.secret to sign deliveries';
  const host = url.hostname.toLowerCase();
  const loopback = isLoopback(host);
  if (url.protocol === 'http:') {
    if (!loopback) return 'must be https (plain http is allowed only to localhost)';
  } else if (url.protocol !== 'https:') {
    return 'must be an https URL';
  }
  if (!loopback && !policy.allowPrivate && isInternalAddress(host)) {
    return 'points at a private or link-local address; webhooks go to public https endpoints';
  }
  return null;
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return loopbackNames.has(bare) || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** True for address literals that reach internal networks (never for host names). */
export function isInternalAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const kind = isIP(bare);
  if (kind === 4) return internalV4(bare);
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
    if (mapped?.[1]) return internalV4(mapped[1]);
    return bare === '::' || bare === '::1' || /^f[cd]/.test(bare) || /^fe[89ab]/.test(bare);
  }
  return false;
}

function internalV4(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}
