import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Environment } from '../../environment/load-environment.js';
import { labels } from './labels.js';

const run = promisify(execFile);

/** Files whose content decides what an install produces. */
const lockfilePatterns = [
  /^package-lock\.json$/, /^npm-shrinkwrap\.json$/, /^yarn\.lock$/, /^pnpm-lock\.yaml$/, /^bun\.lockb?$/,
  /^requirements.*\.txt$/, /^poetry\.lock$/, /^uv\.lock$/, /^Pipfile\.lock$/, /^pdm\.lock$/,
  /^Cargo\.lock$/, /^go\.sum$/, /^Gemfile\.lock$/, /^composer\.lock$/, /^mix\.lock$/, /^pubspec\.lock$/,
  /^Package\.resolved$/, /^flake\.lock$/, /^gradle\.lockfile$/, /^packages\.lock\.json$/, /^conda-lock\.ya?ml$/,
];

export const snapshotRepository = 'errand-snapshot';

export interface SnapshotKeyInput {
  repoDir: string;
  environment: Environment;
  /** Id of the image install runs on (snapshot, build or base). */
  baseImageId: string;
  user: string;
}

/**
 * The snapshot key: the image install starts from, the install command and user, the environment
 * file, every lockfile in the repository and every file beside the environment file (install
 * scripts such as `.cursor/install.sh`). Any change is a miss and install runs again.
 */
export async function snapshotKey(input: SnapshotKeyInput): Promise<{ key: string; files: string[] }> {
  const { repoDir, environment } = input;
  const tracked = await repoFiles(repoDir);
  const envDir = environment.source ? dirname(environment.source) : null;
  const files = tracked
    .filter((path) => lockfilePatterns.some((pattern) => pattern.test(basename(path))) || (envDir !== null && dirname(path) === envDir))
    .sort();
  const hash = createHash('sha256').update(JSON.stringify({
    version: 1,
    baseImageId: input.baseImageId,
    install: environment.install,
    user: input.user,
    environmentFile: environment.fileHash,
  }));
  for (const path of files) {
    const content = await readFile(join(repoDir, path)).catch(() => Buffer.alloc(0));
    hash.update(`\0${path}\0`).update(createHash('sha256').update(content).digest('hex'));
  }
  return { key: hash.digest('hex'), files };
}

/** Tracked files of the checkout; without git, nothing (the key then rests on the install command). */
async function repoFiles(repoDir: string): Promise<string[]> {
  try {
    const { stdout } = await run('git', ['-c', 'safe.directory=*', 'ls-files', '-z'], { cwd: repoDir, maxBuffer: 256 * 1024 * 1024 });
    return stdout.split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function snapshotTag(key: string): string {
  return `${snapshotRepository}:${key.slice(0, 32)}`;
}

/** The snapshot image for a key, if one was saved. */
export async function findSnapshot(docker: Docker, key: string): Promise<string | null> {
  const images = await docker.listImages({ filters: { label: [`${labels.snapshotKey}=${key}`] } });
  const newest = images.sort((a, b) => b.Created - a.Created)[0];
  return newest ? newest.Id : null;
}

/** Saves the container (after install) as the snapshot image for `key`. */
export async function saveSnapshot(docker: Docker, containerId: string, key: string, meta: { agentId: string; repo: string; install?: string }): Promise<string> {
  const tag = snapshotTag(key);
  const [repo, version] = tag.split(':') as [string, string];
  await docker.getContainer(containerId).commit({
    repo,
    tag: version,
    pause: true,
    comment: `errand install snapshot for ${meta.repo}`,
    Labels: { [labels.agent]: meta.agentId, [labels.snapshotKey]: key, [labels.repo]: meta.repo, ...(meta.install ? { [labels.install]: meta.install } : {}) },
  });
  return tag;
}

/**
 * Keeps the newest `keep` images of one kind (snapshots or builds) per repository and removes the
 * rest; an image a container still uses is left for the next round.
 */
export async function pruneImages(docker: Docker, kind: 'snapshot' | 'build', repo: string, keep: number, install?: string): Promise<string[]> {
  const kindLabel = kind === 'snapshot' ? labels.snapshotKey : labels.buildKey;
  // Only this instance's images: another install on the same Docker host prunes its own.
  const images = await docker.listImages({ filters: { label: [kindLabel, `${labels.repo}=${repo}`, ...(install ? [`${labels.install}=${install}`] : [])] } });
  const removed: string[] = [];
  for (const image of images.sort((a, b) => b.Created - a.Created).slice(keep)) {
    try {
      await docker.getImage(image.Id).remove();
      removed.push(image.Id);
    } catch {
      // In use by a container (or already gone): the next prune tries again.
    }
  }
  return removed;
}
