import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import dockerIgnoreModule from '@balena/dockerignore';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { ErrandError } from '../../core/errors.js';
import type { EnvironmentBuild } from '../../environment/load-environment.js';
import { lastLines } from './output-buffer.js';
import { labels } from './labels.js';

export interface BuildRequest {
  docker: Docker;
  build: EnvironmentBuild;
  /** The environment file, for error messages. */
  source: string;
  repoDir: string;
  agentId: string;
  /** With `repo`, part of the cache key: a build is never reused across workspaces or repositories. */
  workspace: string;
  repo: string;
  network: string;
  signal?: AbortSignal;
  onLog?: (stream: 'stdout' | 'stderr' | 'system', text: string) => void;
}

/** The name the Dockerfile travels under inside the build context tar. */
const dockerfileInTar = '.errand.Dockerfile';

/** The package is CommonJS with `module.exports = factory` and `factory.default = factory`. */
const dockerIgnore = dockerIgnoreModule.default;

/**
 * Builds the environment's Dockerfile, tagged by a hash of the workspace, the repository, the Dockerfile and the context (after
 * .dockerignore; `.git` is always left out), so an unchanged build is reused without asking Docker.
 */
export async function buildEnvironmentImage(request: BuildRequest): Promise<{ image: string; reused: boolean }> {
  const { docker, build, source, repoDir, onLog } = request;
  if (!existsSync(build.dockerfile)) {
    throw new ErrandError('environment_invalid', `${source} field "build.dockerfile": ${relative(repoDir, build.dockerfile)} does not exist; fix: name a Dockerfile relative to ${source.replace(/\/[^/]*$/, '')}/`);
  }
  if (!existsSync(build.context)) {
    throw new ErrandError('environment_invalid', `${source} field "build.context": ${relative(repoDir, build.context) || '.'} does not exist; fix: name a folder relative to ${source.replace(/\/[^/]*$/, '')}/`);
  }
  const dockerfile = readFileSync(build.dockerfile);
  const ignored = contextFilter(build.context);
  const key = await contextHash(build.context, dockerfile, ignored, `${request.workspace}\0${request.repo}`);
  const image = `errand-build:${key.slice(0, 32)}`;
  const existing = await docker.getImage(image).inspect().catch(() => null);
  if (existing) {
    onLog?.('system', `reusing image ${image} built from ${relative(repoDir, build.dockerfile)}`);
    return { image, reused: true };
  }

  onLog?.('system', `building ${relative(repoDir, build.dockerfile)} (context ${relative(repoDir, build.context) || '.'})`);
  const tar = pack(build.context, {
    ignore: (path) => ignored(relative(build.context, path)),
    finalize: false,
    finish: (archive) => {
      archive.entry({ name: dockerfileInTar, mode: 0o644 }, dockerfile);
      archive.finalize();
    },
  });
  const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
    t: image,
    dockerfile: dockerfileInTar,
    labels: { [labels.agent]: request.agentId, [labels.buildKey]: key, [labels.repo]: request.repo, [labels.workspace]: request.workspace },
    networkmode: request.network,
    rm: true,
    forcerm: true,
    ...(request.signal ? { abortSignal: request.signal } : {}),
  });

  const output: string[] = [];
  let step = '';
  const failure = await new Promise<string | null>((resolve) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => resolve(error ? error.message : null),
      (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream) {
          const text = event.stream.replace(/\x1b\[[0-9;]*m/g, '');
          output.push(text);
          const stepLine = /^Step \d+\/\d+ : .*/m.exec(text);
          if (stepLine) step = stepLine[0].trim();
          onLog?.('stdout', text);
        }
        if (event.error) {
          output.push(`${event.error}\n`);
          resolve(event.errorDetail?.message ?? event.error);
        }
      },
    );
  });
  if (failure !== null || !(await docker.getImage(image).inspect().catch(() => null))) {
    const tail = lastLines(output.join(''), 15);
    throw new ErrandError('sandbox_failed', `building ${relative(repoDir, build.dockerfile)} failed${step ? ` at "${step}"` : ''}: ${failure ?? 'no image was produced'}\n${tail}`);
  }
  onLog?.('system', `built image ${image}`);
  return { image, reused: false };
}

/** `.dockerignore` at the context root, plus `.git` (it changes on every commit and is never needed). */
function contextFilter(context: string): (relativePath: string) => boolean {
  const rules = dockerIgnore({ ignorecase: false }).add(['.git']);
  const file = join(context, '.dockerignore');
  if (existsSync(file)) rules.add(readFileSync(file, 'utf8').split(/\r?\n/).filter((line) => line.trim() && !line.startsWith('#')));
  return (relativePath) => relativePath !== '' && rules.ignores(relativePath.split(sep).join('/'));
}

async function contextHash(context: string, dockerfile: Buffer, ignored: (path: string) => boolean, tenant: string): Promise<string> {
  const hash = createHash('sha256').update('errand-build-v2\0').update(tenant).update('\0').update(dockerfile).update('\0');
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const rel = relative(context, path);
      if (ignored(rel)) continue;
      const stat = await lstat(path);
      if (stat.isDirectory()) {
        hash.update(`d ${rel}\0`);
        await walk(path);
      } else if (stat.isSymbolicLink()) {
        hash.update(`l ${rel} ${await readlink(path)}\0`);
      } else if (stat.isFile()) {
        hash.update(`f ${rel} ${stat.mode & 0o111 ? 'x' : '-'} ${stat.size}\0`).update(await readFile(path)).update('\0');
      }
    }
  };
  await walk(context);
  return hash.digest('hex');
}
