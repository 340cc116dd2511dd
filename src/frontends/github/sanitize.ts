/**
 * What a person reading the page does not see must not reach the agent either: a prompt injection
 * hides in HTML comments, zero-width or bidi characters, image alt text and hidden HTML.
 */
const zeroWidthAndBidi = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}]/gu;

export function stripHidden(text: string): string {
  return (
    text
      // HTML comments, including one left open at the end (GitHub hides the rest of the comment).
      .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
      .replace(zeroWidthAndBidi, '')
      // Markdown images keep only their URL: ![alt](url "title") → ![](url)
      .replace(/!\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, '![]($1)')
      // Reference-style images: ![alt][ref] → ![][ref]
      .replace(/!\[[^\]]*\]\[([^\]]*)\]/g, '![][$1]')
      // HTML elements people don't see: <img alt=…>, hidden or display:none elements.
      .replace(/<img\b[^>]*>/gi, (tag) => tag.replace(/\s(?:alt|title)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi, ''))
      .replace(/<([a-z][a-z0-9]*)\b[^>]*\s(?:hidden|aria-hidden\s*=\s*["']?true["']?|style\s*=\s*["'][^"']*display\s*:\s*none[^"']*["'])[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
      // Link reference definitions are invisible: [x]: https://… "title"
      .replace(/^ {0,3}\[[^\]]+\]:\s*\S+(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*$/gm, '')
  );
}

/** Text from someone without write access: shown to the agent as a quotation, never as instructions. */
export function quoteUntrusted(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
