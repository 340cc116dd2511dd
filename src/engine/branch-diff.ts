import { unifiedDiff } from '../git/unified-diff.js';
import type { Scrubber } from '../redact/scrubber.js';

export const defaultDiffMaxBytes = 512 * 1024;

/**
 * A checkout's branch against `origin/<base>` for the dashboard: scrubbed, and beyond `maxBytes`
 * only its size (`text` null).
 */
export async function branchDiff(dir: string, base: string, maxBytes: number, scrubber: Scrubber): Promise<{ text: string | null; bytes: number }> {
  const diff = await unifiedDiff(dir, `refs/remotes/origin/${base}`, maxBytes);
  return diff.kind === 'diff' ? { text: scrubber.scrub(diff.text), bytes: Buffer.byteLength(diff.text) } : { text: null, bytes: diff.bytes };
}
