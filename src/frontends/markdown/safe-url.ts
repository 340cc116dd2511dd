/** The link targets agent-written Markdown may carry: web pages and mail addresses, nothing else. */
const allowedProtocols = new Set(['http:', 'https:', 'mailto:']);

/** The URL, normalised, when it is an absolute http(s) or mailto URL; null otherwise (javascript:, data:, relative). */
export function safeUrl(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return null;
  }
  return allowedProtocols.has(url.protocol) ? url.href : null;
}
