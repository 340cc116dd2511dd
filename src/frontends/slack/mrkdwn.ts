import { Lexer, type Token, type Tokens } from 'marked';
import { safeUrl } from '../markdown/safe-url.js';

/** Slack mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** marked hands some text over HTML-escaped; Slack wants it plain before its own escaping. */
function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => entities[entity] ?? entity);
}

/**
 * Markdown (agent summaries) as Slack mrkdwn, from marked's token tree: headings become bold lines,
 * `**bold**` → `*bold*`, `_em_`, `~~del~~` → `~del~`, links → `<url|text>` (http(s) and mailto only;
 * others keep their text), code spans and blocks kept, lists as `•` / `1.` lines, quotes as `>`.
 * Every piece of text is escaped (&, <, >), so nothing the agent writes becomes a mention or a link
 * Slack would make of `<…>`.
 */
export function markdownToMrkdwn(markdown: string): string {
  const tokens = new Lexer({ gfm: true }).lex(markdown);
  return blocks(tokens, '').replace(/\n{3,}/g, '\n\n').trim();
}

function blocks(tokens: Token[], indent: string): string {
  const out: string[] = [];
  for (const token of tokens) {
    const text = block(token as Tokens.Generic, indent);
    if (text !== null) out.push(text);
  }
  return out.join('\n');
}

function block(token: Tokens.Generic, indent: string): string | null {
  switch (token.type) {
    case 'space':
      return '';
    case 'heading':
      return `${indent}*${inline(token.tokens ?? []).replace(/\*/g, '')}*\n`;
    case 'paragraph':
      return `${indent}${inline(token.tokens ?? [])}\n`;
    case 'text':
      return `${indent}${token.tokens ? inline(token.tokens) : escapeMrkdwn(unescapeHtml(String(token.text)))}`;
    case 'code':
      return `${indent}\`\`\`\n${escapeMrkdwn(String(token.text)).replace(/```/g, '`\u200b``')}\n\`\`\`\n`;
    case 'blockquote':
      return `${blocks(token.tokens ?? [], '')
        .replace(/\n+$/, '')
        .split('\n')
        .map((line) => `${indent}&gt; ${line}`)
        .join('\n')}\n`;
    case 'list':
      return `${list(token as Tokens.List, indent)}\n`;
    case 'hr':
      return `${indent}──────────\n`;
    case 'table':
      return `${table(token as Tokens.Table, indent)}\n`;
    case 'html':
      return `${indent}${escapeMrkdwn(String(token.text))}`;
    default:
      return 'raw' in token ? escapeMrkdwn(String(token.raw)) : null;
  }
}

function list(token: Tokens.List, indent: string): string {
  const start = typeof token.start === 'number' ? token.start : 1;
  return token.items
    .map((item, index) => {
      const bullet = token.ordered ? `${start + index}.` : '•';
      const check = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
      const body = blocks(item.tokens.filter((t) => t.type !== 'checkbox'), `${indent}    `).replace(/\n+$/, '').replace(/^\s+/, '');
      return `${indent}${bullet} ${check}${body}`;
    })
    .join('\n');
}

function table(token: Tokens.Table, indent: string): string {
  const cell = (c: Tokens.TableCell) => plain(c.tokens);
  const rows = [token.header.map(cell), ...token.rows.map((row) => row.map(cell))];
  return `${indent}\`\`\`\n${rows.map((row) => escapeMrkdwn(row.join(' | '))).join('\n')}\n\`\`\``;
}

function inline(tokens: Token[]): string {
  return tokens.map((t) => inlineOne(t as Tokens.Generic)).join('');
}

function inlineOne(token: Tokens.Generic): string {
  switch (token.type) {
    case 'text':
      return token.tokens ? inline(token.tokens) : escapeMrkdwn(unescapeHtml(String(token.text)));
    case 'escape':
      return escapeMrkdwn(unescapeHtml(String(token.text)));
    case 'strong':
      return `*${inline(token.tokens ?? [])}*`;
    case 'em':
      return `_${inline(token.tokens ?? [])}_`;
    case 'del':
      return `~${inline(token.tokens ?? [])}~`;
    case 'codespan':
      return `\`${escapeMrkdwn(String(token.text)).replace(/`/g, 'ˋ')}\``;
    case 'br':
      return '\n';
    case 'link':
    case 'image': {
      const label = token.type === 'image' ? escapeMrkdwn(String(token.text || 'image')) : inline(token.tokens ?? []);
      const url = safeUrl(String(token.href));
      if (!url) return label;
      // In `<url|text>` the url must not hold `|` or `>`, and the text must not hold `>` (escaped above).
      const target = url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
      return url === label || `mailto:${label}` === url ? `<${target}>` : `<${target}|${label.replace(/\|/g, '¦')}>`;
    }
    case 'html':
      return escapeMrkdwn(String(token.text));
    default:
      return escapeMrkdwn(String(token.raw ?? ''));
  }
}

/** A table cell's text without formatting, unescaped (the table is escaped as one code block). */
function plain(tokens: Token[]): string {
  return tokens
    .map((t) => {
      const token = t as Tokens.Generic;
      if (token.tokens) return plain(token.tokens);
      return unescapeHtml(String(token.text ?? token.raw ?? ''));
    })
    .join('');
}
