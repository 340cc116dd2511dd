import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { GitAccess } from '../core/ports/repo-host.js';
import { runGit } from './git.js';
import { checkout, credentialsOf, remoteUrl } from './remote.js';

export interface SubmoduleResult {
  path: string;
  /** The URL it was cloned from, or the one that was refused. */
  url: string;
  ok: boolean;
  problem?: string;
}

/**
 * A submodule URL as Errand will fetch it: relative URLs resolve against the repository's own
 * remote, ssh-style `git@host:owner/name` becomes https on that host; local paths, `file://`,
 * `ext::` and every other transport are refused.
 */
export function submoduleUrl(raw: string, base: string): string {
  const value = raw.trim();
  if (value.startsWith('./') || value.startsWith('../')) {
    if (!/^https?:\/\//i.test(base)) throw new Error('a relative submodule URL needs an https remote');
    return new URL(value, base.replace(/\/*$/, '/')).toString().replace(/\/$/, '');
  }
  const ssh = /^(?:ssh:\/\/)?git@([A-Za-z0-9.-]+)(?::\d+)?[:/]([A-Za-z0-9._~/-]+)$/.exec(value);
  if (ssh) return `https://${ssh[1]}/${ssh[2]!.replace(/^\/+/, '')}`;
  if (/^https?:\/\//i.test(value)) return value;
  throw new Error('only https, ssh-style (git@host:owner/name) and relative URLs are allowed');
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * Initialises the checkout's submodules (one level) on the host. Each gets the repository's token
 * only when it lives on the same host as the repository; `protocol.file.allow=never` keeps any
 * local path out. A submodule that cannot be fetched is reported and left empty.
 */
export async function initSubmodules(access: GitAccess, dir: string, signal?: AbortSignal): Promise<SubmoduleResult[]> {
  if (!existsSync(join(dir, '.gitmodules'))) return [];
  const listed = await runGit(['config', '--file', join(dir, '.gitmodules'), '--get-regexp', '^submodule\\..*\\.(path|url)$'], { cwd: dir, okExitCodes: [1] });
  const modules = new Map<string, { path?: string; url?: string }>();
  for (const line of listed.stdout.split('\n').filter(Boolean)) {
    const match = /^submodule\.(.+)\.(path|url) (.*)$/.exec(line);
    if (!match) continue;
    const entry = modules.get(match[1]!) ?? {};
    entry[match[2] as 'path' | 'url'] = match[3]!;
    modules.set(match[1]!, entry);
  }
  const base = remoteUrl(access);
  const results: SubmoduleResult[] = [];
  for (const [name, { path, url }] of modules) {
    if (!path || !url) continue;
    const native = normalize(path);
    if (isAbsolute(native) || native.split(sep).includes('..') || native.split(sep).includes('.git')) {
      results.push({ path, url, ok: false, problem: 'its path leaves the repository' });
      continue;
    }
    let resolved: string;
    try {
      resolved = submoduleUrl(url, base);
      remoteUrl({ url: resolved, token: null });
    } catch (error) {
      results.push({ path, url, ok: false, problem: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const credentials = sameOrigin(resolved, base) ? credentialsOf(access) : null;
    try {
      await runGit(['config', `submodule.${name}.url`, resolved], checkout(dir));
      await runGit(['-c', 'protocol.file.allow=never', '-c', 'protocol.ext.allow=never', 'submodule', 'update', '--init', '--no-recommend-shallow', '--', path], {
        ...checkout(dir),
        credentials,
        ...(signal ? { signal } : {}),
      });
      results.push({ path, url: resolved, ok: true });
    } catch (error) {
      results.push({ path, url: resolved, ok: false, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
