import { isAgentMode, type AgentMode } from './agent.js';
import { ErrandError } from './errors.js';

/** The options a person may write into a launch request. */
export interface LaunchOptions {
  repo?: string;
  /**
   * Several repositories (`owner/name` or URLs) in one agent, the first one primary; `repo` is the
   * one-repository form. Written `repo=a/b,c/d` in Slack and GitHub text.
   */
  repos?: string[];
  branch?: string;
  model?: string;
  autopr?: boolean;
  mode?: AgentMode;
  privacy?: boolean;
}

export interface ParsedLaunchRequest {
  options: LaunchOptions;
  prompt: string;
}

const knownOptions = ['repo', 'branch', 'model', 'autopr', 'mode', 'privacy'] as const;
type OptionName = (typeof knownOptions)[number];

/**
 * `key=value` where value is bare, "double-quoted" or 'single-quoted'. A key must start a word, so
 * `a==b` or `x=1` inside a URL query (preceded by `?` or `&`) is prompt text, not an option.
 */
const optionPattern = /(^|[\s,[])([a-zA-Z][\w-]*)=("([^"]*)"|'([^']*)'|[^\s,\]]+(?:,[^\s,\]=]+)*(?=[\s,\]]|$))/g;

/** At most this many repositories in one agent. */
export const maxRepos = 20;

/**
 * Parses `/agent [repo=a/b, branch=dev] fix the login test` or `fix it repo=a/b model=x`.
 * Options may stand anywhere in the text; a later duplicate wins; an unknown option is an
 * error naming it (never silently eaten into the prompt or dropped); the rest is the prompt.
 */
export function parseLaunchRequest(text: string): ParsedLaunchRequest {
  const options: LaunchOptions = {};
  const unknown: string[] = [];
  let rest = text;

  const bracket = /^\s*\[([^\]]*)\]/.exec(rest);
  if (bracket?.[1] !== undefined && /^\s*[a-zA-Z][\w-]*\s*=/.test(bracket[1])) {
    let lastKey = '';
    for (const part of splitBracket(bracket[1])) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        // `[repo=a/b,c/d]`: the bracket splits on commas, so the later repositories come alone.
        if (lastKey === 'repo' && options.repos) options.repos.push(part);
        else if (lastKey === 'repo' && options.repo) options.repos = [options.repo, part];
        else unknown.push(part);
        if (lastKey === 'repo') delete options.repo;
        continue;
      }
      lastKey = part.slice(0, eq).trim().toLowerCase();
      applyOption(options, unknown, part.slice(0, eq).trim(), unquote(part.slice(eq + 1).trim()));
    }
    rest = rest.slice(bracket[0].length);
  }

  rest = rest.replace(optionPattern, (match, lead: string, key: string, raw: string, dq?: string, sq?: string) => {
    if (!isOptionName(key.toLowerCase()) && !looksLikeOption(key)) return match;
    applyOption(options, unknown, key, dq ?? sq ?? raw);
    return lead === '[' ? lead : ' ';
  });

  if (unknown.length > 0) {
    throw new ErrandError(
      'unknown_option',
      `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `\`${u}\``).join(', ')}; ` +
        `known options are ${knownOptions.map((o) => `\`${o}=\``).join(', ')}`,
    );
  }
  return { options, prompt: rest.replace(/[ \t]+/g, ' ').replace(/ *\n */g, '\n').trim() };
}

/** Words that are probably meant as options even though we don't know them (so we can say so). */
function looksLikeOption(key: string): boolean {
  return /^(repository|base|ref|provider|auto-?pr|pr|private)$/i.test(key);
}

function isOptionName(key: string): key is OptionName {
  return (knownOptions as readonly string[]).includes(key);
}

function applyOption(options: LaunchOptions, unknown: string[], rawKey: string, value: string): void {
  const key = rawKey.toLowerCase();
  if (!isOptionName(key)) {
    unknown.push(rawKey);
    return;
  }
  switch (key) {
    case 'repo':
      if (value.includes(',')) {
        options.repos = value.split(',').map((repo) => repo.trim()).filter(Boolean);
        delete options.repo;
        return;
      }
      if (value === '') throw new ErrandError('invalid_request', 'option `repo=` needs a value');
      options.repo = value;
      delete options.repos;
      return;
    case 'branch':
    case 'model':
      if (value === '') throw new ErrandError('invalid_request', `option \`${key}=\` needs a value`);
      options[key] = value;
      return;
    case 'autopr':
    case 'privacy':
      options[key] = parseBoolean(key, value);
      return;
    case 'mode':
      if (!isAgentMode(value)) {
        throw new ErrandError('invalid_request', `option \`mode=${value}\` must be \`agent\`, \`ask\` or \`plan\``);
      }
      options.mode = value;
      return;
  }
}

function parseBoolean(key: string, value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new ErrandError('invalid_request', `option \`${key}=${value}\` must be true or false`);
}

function splitBracket(inner: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of inner) {
    if (quote) {
      if (char === quote) quote = null;
      current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      current += char;
    } else if (char === ',' || /\s/.test(char)) {
      if (current.trim()) parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function unquote(value: string): string {
  const m = /^"(.*)"$|^'(.*)'$/.exec(value);
  return m ? (m[1] ?? m[2] ?? '') : value;
}

/**
 * A follow-up may switch the agent's mode (`mode=agent carry out the plan`); no other option
 * changes after launch, so only `mode=` is taken out of the text and the rest stays as written.
 */
export function parseFollowUpMode(text: string): { mode?: AgentMode; text: string } {
  let mode: AgentMode | undefined;
  const rest = text.replace(/(^|[\s[,])mode=("?)([A-Za-z]+)\2(?=[\s,\]]|$)/gi, (_match, lead: string, _quote: string, value: string) => {
    const lower = value.toLowerCase();
    if (!isAgentMode(lower)) {
      throw new ErrandError('invalid_request', `option \`mode=${value}\` must be \`agent\`, \`ask\` or \`plan\``);
    }
    mode = lower;
    return lead === '[' ? lead : ' ';
  });
  const cleaned = rest.replace(/^\s*\[\s*\]/, '').replace(/[ \t]+/g, ' ').trim();
  return mode ? { mode, text: cleaned } : { text };
}
