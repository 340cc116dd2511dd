import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { Environment } from '../../environment/load-environment.js';
import { buildEnvironmentImage } from './build-image.js';
import { dockerMessage } from './docker-errors.js';

export interface ResolvedImage {
  image: string;
  imageId: string;
  source: 'manual-snapshot' | 'snapshot' | 'build' | 'base';
  /** The image's own `USER` (a Dockerfile's, a snapshot's), or null when it sets none. */
  imageUser: string | null;
}

export interface ResolveImageRequest {
  docker: Docker;
  environment: Environment;
  repoDir: string;
  baseImage: string;
  agentId: string;
  workspace: string;
  repo: string;
  network: string;
  /** A snapshot saved with `errand snapshot` for this workspace and repository: it wins over the file. */
  manualSnapshot?: string | null;
  signal?: AbortSignal;
  onLog?: (phase: 'environment' | 'build', stream: 'stdout' | 'stderr' | 'system', text: string) => void;
}

/**
 * The image an agent's container starts from: the environment's `snapshot` if Docker has it or
 * can pull it, else its Dockerfile `build`, else the configured base image.
 */
export async function resolveImage(request: ResolveImageRequest): Promise<ResolvedImage> {
  const { docker, environment, onLog } = request;
  const fallback = environment.build ? 'the Dockerfile build' : `the base image ${request.baseImage}`;
  if (request.manualSnapshot) {
    const image = await docker.getImage(request.manualSnapshot).inspect().catch(() => null);
    if (image) {
      onLog?.('environment', 'system', `starting from the snapshot saved for this repository (${request.manualSnapshot.replace(/^sha256:/, '').slice(0, 12)})${environment.snapshot ? `; the file's snapshot "${environment.snapshot}" is not used` : ''}`);
      return { image: image.Id, imageId: image.Id, source: 'manual-snapshot', imageUser: image.Config?.User || null };
    }
  }
  if (environment.snapshot && isPlaceholder(environment.snapshot)) {
    onLog?.('environment', 'system', `snapshot "${environment.snapshot}" is a placeholder Cursor fills from its settings; using ${fallback} (save one with \`errand snapshot <agent>\`)`);
  } else if (environment.snapshot && isCursorSnapshotId(environment.snapshot)) {
    onLog?.('environment', 'system', `snapshot image ${environment.snapshot} is a Cursor snapshot id, not an image on this Docker host; using ${fallback} instead`);
  } else if (environment.snapshot) {
    const { id, reason } = await localOrPulled(docker, environment.snapshot);
    if (id) {
      onLog?.('environment', 'system', `starting from snapshot image ${environment.snapshot}`);
      return { image: environment.snapshot, imageId: id, source: 'snapshot', imageUser: await imageUser(docker, id) };
    }
    onLog?.('environment', 'system', `snapshot image ${environment.snapshot} is neither present nor pullable (${reason}); using ${fallback} instead`);
  }
  if (environment.build) {
    const { image } = await buildEnvironmentImage({
      docker,
      build: environment.build,
      source: environment.source ?? 'environment.json',
      repoDir: request.repoDir,
      agentId: request.agentId,
      workspace: request.workspace,
      repo: request.repo,
      network: request.network,
      ...(request.signal ? { signal: request.signal } : {}),
      onLog: (stream, text) => onLog?.('build', stream, text),
    });
    const info = await docker.getImage(image).inspect();
    return { image, imageId: info.Id, source: 'build', imageUser: info.Config?.User || null };
  }
  const { id, reason } = await localOrPulled(docker, request.baseImage);
  if (!id) {
    throw new ErrandError(
      'not_configured',
      `the base image ${request.baseImage} does not exist and cannot be pulled (${reason}); fix: build it with scripts/base-image.sh, or set ERRAND_BASE_IMAGE to an image this Docker host has`,
    );
  }
  return { image: request.baseImage, imageId: id, source: 'base', imageUser: null };
}

/** `POPULATED_FROM_SETTINGS` and other all-capitals names Cursor's docs use as stand-ins. */
function isPlaceholder(reference: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(reference);
}

/** Cursor's own snapshot ids (`snapshot-20250525-<uuid>`) name nothing any registry serves. */
function isCursorSnapshotId(reference: string): boolean {
  return /^snapshot-\d{8}-[0-9a-f-]{36}$/i.test(reference);
}

async function imageUser(docker: Docker, id: string): Promise<string | null> {
  const info = await docker.getImage(id).inspect().catch(() => null);
  return info?.Config?.User || null;
}

async function localOrPulled(docker: Docker, reference: string): Promise<{ id: string | null; reason: string }> {
  const local = await docker.getImage(reference).inspect().catch(() => null);
  if (local) return { id: local.Id, reason: 'present' };
  try {
    const stream = await docker.pull(reference);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
    return { id: (await docker.getImage(reference).inspect()).Id, reason: 'pulled' };
  } catch (error) {
    return { id: null, reason: dockerMessage(error) };
  }
}
