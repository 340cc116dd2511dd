import { stripHidden } from './sanitize.js';

export interface Mention {
  /** What the person asked for: the comment without the trigger (and without `new`). */
  text: string;
  /** `@errand new …`: start a new agent even if one lives in this conversation. */
  forceNew: boolean;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Code blocks, inline code and quoted replies don't call the agent: they talk about it. */
function visibleProse(body: string): string {
  return stripHidden(body)
    .replace(/^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^\1\2[^\n]*$|(?![\s\S]))/gm, '')
    .replace(/`[^`\n]*`/g, '')
    .replace(/^ {0,3}>.*$/gm, '');
}

/**
 * Finds the trigger (`@errand`) in a comment. Returns null when it is absent, or only inside code or
 * a quotation. The request is the whole comment with the trigger removed, hidden content stripped.
 */
export function findMention(body: string, trigger: string): Mention | null {
  const pattern = new RegExp(`(^|[^\\w@/-])${escape(trigger)}(?![\\w-])`, 'i');
  if (!pattern.test(visibleProse(body))) return null;
  let forceNew = false;
  const all = new RegExp(`(^|[^\\w@/-])${escape(trigger)}(?![\\w-])[ \\t]*[,:]?(?:[ \\t]*(new)\\b[ \\t]*[,:-]?)?`, 'gi');
  const text = stripHidden(body)
    .replace(all, (_m, lead: string, isNew?: string) => {
      if (isNew) forceNew = true;
      return `${lead} `;
    })
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
  return { text, forceNew };
}
