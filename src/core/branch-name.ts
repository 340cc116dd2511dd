import { shortId } from './ids.js';

/** `errand/fix-the-flaky-login-test-7k2m9x`: readable, unique, valid as a git ref. */
export function branchName(prompt: string, agentId: string, prefix = 'errand/'): string {
  const slug = prompt
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .split('-')
    .slice(0, 6)
    .join('-')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${prefix}${slug ? `${slug}-` : ''}${shortId(agentId)}`;
}

/** A title for lists and PRs: the prompt's first line, cut at a word boundary. */
export function titleFrom(prompt: string, max = 72): string {
  const line = prompt.split('\n').find((l) => l.trim())?.trim() ?? '';
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
