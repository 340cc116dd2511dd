import { runGit } from './git.js';
import { checkout } from './remote.js';

export interface FileStat {
  path: string;
  /** Lines added and removed; null for binary files. */
  additions: number | null;
  deletions: number | null;
}

export interface DiffStat {
  files: FileStat[];
  additions: number;
  deletions: number;
}

/**
 * What `head` changed since it left `base` (`base...head`, as a pull request shows it). Diff
 * drivers and textconv filters are off: they are programs named by repository attributes.
 */
export async function diffstat(dir: string, base: string, head = 'HEAD'): Promise<DiffStat> {
  const { stdout } = await runGit(
    ['diff', '--numstat', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-color', `${base}...${head}`, '--'],
    checkout(dir),
  );
  const files: FileStat[] = [];
  for (const record of stdout.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(record);
    if (!match?.[1] || !match[2] || !match[3]) continue;
    files.push({
      path: match[3],
      additions: match[1] === '-' ? null : Number(match[1]),
      deletions: match[2] === '-' ? null : Number(match[2]),
    });
  }
  return {
    files,
    additions: files.reduce((n, f) => n + (f.additions ?? 0), 0),
    deletions: files.reduce((n, f) => n + (f.deletions ?? 0), 0),
  };
}
