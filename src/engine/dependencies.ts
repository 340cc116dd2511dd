import { join } from 'node:path';
import { parseRepoRef, toErrandError, type RepoHost, type RepoRef } from '../core/index.js';
import { repoHostFor } from '../git/repo-hosts.js';
import { clone } from '../git/remote.js';
import { emptyDir } from './host-checkout.js';

/** One of the environment's `repositoryDependencies`, cloned on the host (or why not). */
export interface DependencyCheckout {
  /** Folder name under /workspace-deps. */
  name: string;
  /** As the environment file wrote it. */
  reference: string;
  /** Host directory of the clone; null when it could not be cloned. */
  dir: string | null;
  error?: string;
}

/**
 * A dependency as a repository reference: `owner/name`, `github.com/owner/name`, an https URL, or
 * an ssh-style `git@host:owner/name` (cloned over https from the same host). Never a local path
 * or file:// URL: an environment file must not make the worker copy its own disk into a machine.
 */
export function dependencyRef(reference: string): RepoRef {
  let value = reference.trim();
  const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(value);
  if (ssh) value = `https://${ssh[1]}/${ssh[2]}`;
  if (/^github\.com\//i.test(value)) value = value.slice('github.com/'.length);
  if (value.startsWith('/') || /^file:/i.test(value)) throw new Error('local paths and file:// URLs are not allowed');
  if (!/^https?:\/\//i.test(value) && !/^[^/:]+\/[^/:]+$/.test(value)) throw new Error('not an owner/name or an https URL');
  return parseRepoRef(value);
}

/** The folder a dependency gets: the repository's name, made unique among the others. */
function folderName(ref: RepoRef, taken: Set<string>): string {
  const path = ref.fullName ?? new URL(ref.url).pathname;
  const parts = path.replace(/\.git$/, '').split('/').filter(Boolean);
  const base = (parts.at(-1) ?? 'dependency').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+/, '') || 'dependency';
  let name = base;
  if (taken.has(name)) name = `${parts.at(-2) ?? 'repo'}-${base}`.replace(/[^A-Za-z0-9._-]/g, '-');
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/**
 * Clones each dependency's default branch (shallow) under `dir` with the same host rules and
 * tokens as the agent's own repository. A dependency that cannot be cloned is reported, not fatal.
 */
export async function cloneDependencies(hosts: RepoHost[], references: string[], dir: string, signal?: AbortSignal, onToken?: (token: string) => void): Promise<DependencyCheckout[]> {
  await emptyDir(dir);
  const taken = new Set<string>();
  const result: DependencyCheckout[] = [];
  for (const reference of references) {
    let name = reference.replace(/[^A-Za-z0-9._-]/g, '-');
    try {
      const ref = dependencyRef(reference);
      name = folderName(ref, taken);
      const access = await repoHostFor(hosts, ref).access(ref, signal);
      if (access.token) onToken?.(access.token);
      const target = join(dir, name);
      await clone(access, target, { depth: 1, ...(signal ? { signal } : {}) });
      result.push({ name, reference, dir: target });
    } catch (error) {
      const failure = toErrandError(error);
      result.push({ name, reference, dir: null, error: failure.message });
    }
  }
  return result;
}
