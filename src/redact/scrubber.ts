/**
 * Removes secrets from free text: known token shapes, PEM blocks, and any value registered at run
 * time (workspace secrets, installation tokens). Used by the logger and by everything we post.
 */
const tokenPatterns: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\bxox[abposre]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-[A-Za-z0-9-]{10,}/g,
  /\bgh[pousr]_[A-Za-z0-9_]{36,}/g,
  /\bghs_[A-Za-z0-9._-]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{20,}/g,
  /\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\berr_[A-Za-z0-9]{32,}/g,
  /(https?:\/\/)[^\s/?#@]+@/g,
  // JSON Web Tokens (GitHub App JWTs, OIDC tokens): header.payload.signature, both JSON objects.
  /\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
  // Basic credentials as sent in a header (`Authorization: Basic …`, git's http.extraHeader).
  /(\bAuthorization:\s*(?:Basic|Bearer)\s+)[A-Za-z0-9+/._~-]{8,}={0,2}/gi,
];

/**
 * The base64 text that holds `value` wherever it sits in a longer string (`user:value` in a Basic
 * header): one stable run per byte alignment, without the partial groups at either end.
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift += 1) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor((shift + bytes.length) / 3) * 4;
    const core = encoded.slice(start, end);
    if (core.length >= 8) forms.push(core);
  }
  return forms;
}

export const REDACTED = '[redacted]';

export class Scrubber {
  private readonly values = new Set<string>();

  /** Registers a secret value; from now on it is replaced wherever it appears. */
  add(value: string | null | undefined): void {
    if (!value || value.length < 6) return;
    this.values.add(value);
    // The same secret as git and HTTP clients send it: `x-access-token:<token>` (or any user) in base64.
    for (const form of [Buffer.from(`x-access-token:${value}`).toString('base64'), ...base64Forms(value)]) this.values.add(form);
  }

  remove(value: string): void {
    this.values.delete(value);
    for (const form of [Buffer.from(`x-access-token:${value}`).toString('base64'), ...base64Forms(value)]) this.values.delete(form);
  }

  scrub(text: string): string {
    let out = text;
    for (const value of this.values) {
      if (out.includes(value)) out = out.split(value).join(REDACTED);
    }
    for (const pattern of tokenPatterns) {
      out = out.replace(pattern, (match, kept?: string) => (typeof kept === 'string' && match.startsWith(kept) ? `${kept}${REDACTED}${match.endsWith('@') ? '@' : ''}` : REDACTED));
    }
    return out;
  }

  /** Scrubs every string inside a JSON-like value. */
  scrubDeep<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.scrubDeep(v)) as T;
    if (value && typeof value === 'object' && Object.prototype.toString.call(value) === '[object Object]') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrubDeep(v)])) as T;
    }
    return value;
  }
}

/** One scrubber per process, shared by the logger and the renderers. Passed in; never imported as a global. */
export function createScrubber(): Scrubber {
  return new Scrubber();
}
