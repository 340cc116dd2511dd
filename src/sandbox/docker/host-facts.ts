import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreparedFacts } from '../../core/ports/sandbox.js';

const notesBytes = 4000;
const noteFiles = ['AGENTS.md', 'AGENT.md', 'CLAUDE.md', '.cursorrules', 'README.md', 'README.rst', 'README.txt', 'README'];

/**
 * What the system prompt tells the agent about /workspace, read from the host checkout that goes
 * into it (no exec in the machine): the repository's notes, its top-level entries, the terminals
 * the environment opens and the dependencies copied beside it. Install output that is only in the
 * machine (gitignored, from a snapshot) is not among the top-level entries.
 */
export async function hostFacts(repoDir: string, terminals: string[], dependencies: string[]): Promise<PreparedFacts> {
  const [notes, entries] = await Promise.all([readNotes(repoDir), readdir(repoDir, { withFileTypes: true }).catch(() => [])]);
  const topLevel = entries
    .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 100)
    .join('\n');
  return { notes, topLevel, terminals, dependencies: [...dependencies].sort().slice(0, 50) };
}

async function readNotes(repoDir: string): Promise<string> {
  const parts = await Promise.all(noteFiles.map(async (name) => {
    // Never through a symlink: the checkout is the repository's, and a link could point at the worker's own files.
    const file = await open(join(repoDir, name), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
    if (!file) return '';
    try {
      if (!(await file.stat()).isFile()) return '';
      const buffer = Buffer.alloc(notesBytes);
      const { bytesRead } = await file.read(buffer, 0, notesBytes, 0);
      return `=== ${name} ===\n${buffer.subarray(0, bytesRead).toString('utf8')}\n`;
    } finally {
      await file.close();
    }
  }));
  return parts.join('').trim();
}
