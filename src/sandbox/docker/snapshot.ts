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
  /** The tenant and repository: a snapshot is never used across workspaces or repositories. */
  workspace: string;
  repo: string;
  /** Install-phase secret names and versions (never values). */
  installSecrets: string[];
}

/**
 * The snapshot key: the workspace and repository, the install-phase secrets' names and versions,
 * the image install starts from, the install command and user, the environment
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
    version: 2,
    workspace: input.workspace,
    repo: input.repo,
    installSecrets: [...input.installSecrets].sort(),
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

export interface SnapshotMeta {
  agentId: string;
  workspace: string;
  repo: string;
  /** ERRAND_INSTANCE of the install that saved it. */
  install?: string;
  /**
   * The user commands run as. The container's own process may run as root (the kill supervisor,
   * where sudo is allowed), and an image's USER is read as the environment's user, so it is set.
   */
  user?: string;
}

/** Whose images a prune looks at. */
export interface ImageScope {
  workspace?: string;
  install?: string;
}

/** Saves the container (after install) as the snapshot image for `key`. */
export async function saveSnapshot(docker: Docker, containerId: string, key: string, meta: SnapshotMeta, kind: 'install' | 'manual' = 'install'): Promise<string> {
  const tag = snapshotTag(key);
  const [repo, version] = tag.split(':') as [string, string];
  await docker.getContainer(containerId).commit({
    repo,
    tag: version,
    pause: true,
    comment: `errand ${kind} snapshot for ${meta.repo}`,
    Labels: {
      [labels.agent]: meta.agentId,
      [labels.snapshotKey]: key,
      [labels.snapshotKind]: kind,
      [labels.workspace]: meta.workspace,
      [labels.repo]: meta.repo,
      ...(meta.install ? { [labels.install]: meta.install } : {}),
    },
    ...(meta.user ? { User: meta.user } : {}),
  });
  return tag;
}

/** The key of a workspace's manual snapshot of a repository (`errand snapshot`): one per pair, the newest wins. */
export function manualSnapshotKey(workspace: string, repo: string): string {
  return createHash('sha256').update(JSON.stringify({ kind: 'manual', workspace, repo })).digest('hex');
}

/** The newest snapshot saved by hand for this workspace and repository, if any. */
export async function findManualSnapshot(docker: Docker, workspace: string, repo: string): Promise<string | null> {
  return findSnapshot(docker, manualSnapshotKey(workspace, repo));
}

/**
 * Keeps the newest `keep` images of one kind (install or manual snapshots, builds) per repository
 * (and workspace, when given) and removes the
 * rest; an image a container still uses is left for the next round.
 */
export async function pruneImages(docker: Docker, kind: 'snapshot' | 'build' | 'manual', repo: string, keep: number, scope: ImageScope = {}): Promise<string[]> {
  const kindLabel = kind === 'build' ? labels.buildKey : `${labels.snapshotKind}=${kind === 'manual' ? 'manual' : 'install'}`;
  // Only this workspace's and this instance's images: another install on the same Docker host prunes its own.
  const filters = [
    kindLabel,
    `${labels.repo}=${repo}`,
    ...(scope.workspace === undefined ? [] : [`${labels.workspace}=${scope.workspace}`]),
    ...(scope.install === undefined ? [] : [`${labels.install}=${scope.install}`]),
  ];
  const images = await docker.listImages({ filters: { label: filters } });
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
