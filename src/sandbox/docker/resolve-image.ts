import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import type { Environment } from '../../environment/load-environment.js';
import { buildEnvironmentImage } from './build-image.js';
import { dockerMessage } from './docker-errors.js';

export interface ResolvedImage {
  image: string;
  imageId: string;
  source: 'snapshot' | 'build' | 'base';
}

export interface ResolveImageRequest {
  docker: Docker;
  environment: Environment;
  repoDir: string;
  baseImage: string;
  agentId: string;
  repo: string;
  network: string;
  install?: string;
  signal?: AbortSignal;
  onLog?: (phase: 'environment' | 'build', stream: 'stdout' | 'stderr' | 'system', text: string) => void;
}

/**
 * The image an agent's container starts from: the environment's `snapshot` if Docker has it or
 * can pull it, else its Dockerfile `build`, else the configured base image.
 */
export async function resolveImage(request: ResolveImageRequest): Promise<ResolvedImage> {
  const { docker, environment, onLog } = request;
  if (environment.snapshot) {
    const { id, reason } = await localOrPulled(docker, environment.snapshot);
    if (id) {
      onLog?.('environment', 'system', `starting from snapshot image ${environment.snapshot}`);
      return { image: environment.snapshot, imageId: id, source: 'snapshot' };
    }
    onLog?.('environment', 'system', `snapshot image ${environment.snapshot} is neither present nor pullable (${reason}); using ${environment.build ? 'the Dockerfile build' : `the base image ${request.baseImage}`} instead`);
  }
  if (environment.build) {
    const { image } = await buildEnvironmentImage({
      docker,
      build: environment.build,
      source: environment.source ?? 'environment.json',
      repoDir: request.repoDir,
      agentId: request.agentId,
      repo: request.repo,
      network: request.network,
      ...(request.install ? { install: request.install } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      onLog: (stream, text) => onLog?.('build', stream, text),
    });
    const id = (await docker.getImage(image).inspect()).Id;
    return { image, imageId: id, source: 'build' };
  }
  const { id, reason } = await localOrPulled(docker, request.baseImage);
  if (!id) {
    throw new ErrandError(
      'not_configured',
      `the base image ${request.baseImage} does not exist and cannot be pulled (${reason}); fix: build it with scripts/base-image.sh, or set ERRAND_BASE_IMAGE to an image this Docker host has`,
    );
  }
  return { image: request.baseImage, imageId: id, source: 'base' };
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
