import { Marked, type Tokens } from 'marked';
import { safeUrl } from '../markdown/safe-url.js';
import { escapeHtml, SafeHtml } from './html.js';

/**
 * Agent-written Markdown (summaries, messages) as HTML, on the server: GitHub-flavoured, with raw
 * HTML shown as text (no tag passes through; `<script>` stays text), links only to http(s) and
 * mailto (others keep their text, no link), and images as links (the page loads nothing from
 * elsewhere).
 */
const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const text = this.parser.parseInline(tokens);
      const url = safeUrl(href);
      if (!url) return text;
      return `<a href="${escapeHtml(url)}"${title ? ` title="${escapeHtml(title)}"` : ''} rel="noopener noreferrer nofollow">${text}</a>`;
    },
    image({ href, text }: Tokens.Image): string {
      const url = safeUrl(href);
      const label = escapeHtml(text || 'image');
      return url ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer nofollow">${label}</a>` : label;
    },
    checkbox({ checked }: Tokens.Checkbox): string {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

export function renderMarkdown(text: string): SafeHtml {
  return new SafeHtml(marked.parse(text, { async: false }));
}
