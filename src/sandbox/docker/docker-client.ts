import Docker from 'dockerode';
import { dockerUnavailable } from './docker-errors.js';

/** A dockerode client for DOCKER_HOST (unix://, tcp://, ssh:// or npipe://), or the local socket. */
export function createDockerClient(dockerHost?: string): Docker {
  // docker-modem reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) itself.
  if (!dockerHost || dockerHost === process.env.DOCKER_HOST) return new Docker();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:' || url.protocol === 'npipe:') return new Docker({ socketPath: url.pathname });
  const protocol = url.protocol === 'tcp:' ? 'http' : (url.protocol.replace(':', '') as 'http' | 'https' | 'ssh');
  return new Docker({ protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'https' ? 2376 : 2375 });
}

/** Where a client points, for error messages. */
export function dockerTarget(docker: Docker): string {
  const options = docker.modem as unknown as { socketPath?: string; host?: string; port?: number; protocol?: string };
  if (options.socketPath) return `unix://${options.socketPath}`;
  return `${options.protocol ?? 'http'}://${options.host ?? 'localhost'}:${options.port ?? ''}`;
}

/** Fails with an `unavailable` ErrandError (and a DOCKER_HOST hint) when the engine does not answer. */
export async function assertDockerReachable(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw dockerUnavailable(error, dockerTarget(docker));
  }
}
