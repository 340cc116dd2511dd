import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestRepo {
  dir: string;
  /** Writes files (path → content) and commits them. */
  commit(files: Record<string, string>, message?: string): void;
  remove(): void;
}

/** A real git repository in a temp dir, with the given files committed. */
export function makeGitRepo(files: Record<string, string> = {}): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'errand-repo-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 'test@errand.invalid');
  git('config', 'user.name', 'Errand Test');
  const repo: TestRepo = {
    dir,
    commit(more, message = 'change') {
      for (const [path, content] of Object.entries(more)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '-m', message);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  repo.commit({ 'README.md': '# test repo\n', ...files }, 'initial');
  return repo;
}
