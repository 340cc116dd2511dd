import { runGit } from './git.js';
import { checkout } from './remote.js';

/** What `head` changed since it left `base`, as one unified diff, or the fact that it is too large. */
export type UnifiedDiff = { kind: 'diff'; text: string } | { kind: 'too_large'; bytes: number };

/**
 * `git diff base...head` (what a pull request shows), binary files named but not included, with
 * diff drivers and textconv filters off (they are programs named by repository attributes).
 * Beyond `maxBytes` only the size is kept.
 */
export async function unifiedDiff(dir: string, base: string, maxBytes: number, head = 'HEAD'): Promise<UnifiedDiff> {
  const { stdout } = await runGit(['diff', '--no-ext-diff', '--no-textconv', '--no-color', '-M', `${base}...${head}`, '--'], checkout(dir));
  const bytes = Buffer.byteLength(stdout);
  return bytes > maxBytes ? { kind: 'too_large', bytes } : { kind: 'diff', text: stdout };
}
