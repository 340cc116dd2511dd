import { lstatSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract, type ExtractOptions, type Headers } from 'tar-fs';
import { ErrandError } from '../core/errors.js';

export interface ImportOptions {
  /**
   * Leading path components to drop from every entry. Docker's archive of `/workspace` puts
   * everything under `workspace/`, hence 1.
   */
  strip?: number;
  /**
   * Only these paths (relative to the work tree, `/`-separated) come from the archive, and
   * `deleted` ones are removed; everything else keeps the host checkout's version. Without it the
   * whole work tree is replaced.
   */
  only?: { changed: string[]; deleted: string[] };
}

const kept = new Set<string>(['file', 'directory', 'symlink', 'link']);

/**
 * Replaces the working tree of a host checkout with the files of a tar stream (the agent's
 * `/workspace`, read out of the container). The checkout's `.git` is the host's and stays as it
 * is; every `.git` in the archive is dropped, so nothing the agent wrote there (config, hooks,
 * a gitdir pointer) is ever read by host-side git. Symlinks are kept as links but never followed:
 * an entry through a link, or a link pointing outside the checkout, fails the import.
 */
export async function importWorkTree(dir: string, tar: Readable | NodeJS.ReadableStream, options: ImportOptions = {}): Promise<void> {
  const strip = options.strip ?? 1;
  const only = options.only ? selection(dir, options.only) : null;
  if (only) {
    // Changed files go too: an entry must never be written through a symlink the checkout holds.
    for (const path of [...only.deleted, ...only.files]) await rm(join(dir, path), { recursive: true, force: true });
  } else {
    for (const entry of await readdir(dir)) {
      if (entry !== '.git') await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  const seen = new Set<string>();
  const parts = (name: string) => name.split('/').filter((part) => part !== '' && part !== '.').slice(strip).join('/');
  const options_: ExtractOptions & { chown: boolean } = {
    // Files belong to the host user, whatever uid the container gave them.
    chown: false,
    map(header) {
      const entry = header as Headers & { linkname?: string };
      entry.name = parts(entry.name);
      if (entry.type === 'link' && entry.linkname) entry.linkname = parts(entry.linkname);
      return entry;
    },
    ignore(name, header) {
      const path = relative(dir, name);
      if (path === '' || path.split(sep).includes('.git')) return true;
      if (header && !kept.has(header.type)) return true;
      if (only && !only.files.has(path) && !(header?.type === 'directory' && only.parents.has(path))) return true;
      if (only && throughSymlink(dir, path)) {
        unpack.destroy(new ErrandError('sandbox_failed', `the workspace archive writes through a symbolic link: ${path}`));
        return true;
      }
      // One entry per path: a directory entry landing on an earlier symlink would be followed.
      if (seen.has(path)) {
        unpack.destroy(new ErrandError('sandbox_failed', 'the workspace archive names one path twice'));
        return true;
      }
      seen.add(path);
      return false;
    },
  };
  const unpack = extract(dir, options_);
  try {
    await pipeline(tar as Readable, unpack);
  } catch (error) {
    if (error instanceof ErrandError) throw error;
    throw new ErrandError('sandbox_failed', `could not read the agent's workspace: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The selected paths as native relative paths, each checked to stay inside the work tree and out of `.git`. */
function selection(dir: string, only: { changed: string[]; deleted: string[] }): { files: Set<string>; parents: Set<string>; deleted: string[] } {
  const safe = (path: string) => {
    const native = normalize(path.split('/').join(sep));
    const parts = native.split(sep);
    if (native === '.' || isAbsolute(native) || parts.includes('..') || parts.includes('.git') || throughSymlink(dir, native)) {
      throw new ErrandError('sandbox_failed', `the agent's changes name a path outside the work tree: ${path}`);
    }
    return native;
  };
  const files = new Set(only.changed.map(safe));
  const parents = new Set<string>();
  for (const file of files) {
    const parts = file.split(sep);
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join(sep));
  }
  return { files, parents, deleted: only.deleted.map(safe) };
}

/** Whether a directory on the way to `path` (inside `dir`) is a symbolic link on the host. */
function throughSymlink(dir: string, path: string): boolean {
  const parts = path.split(sep);
  for (let i = 1; i < parts.length; i++) {
    try {
      if (lstatSync(join(dir, ...parts.slice(0, i))).isSymbolicLink()) return true;
    } catch {
      return false;
    }
  }
  return false;
}
