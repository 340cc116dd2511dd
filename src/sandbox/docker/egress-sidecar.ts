import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import { dockerMessage } from './docker-errors.js';
import { labels } from './labels.js';

/** The proxy inside every agent container: its own loopback, forwarded by the sidecar to the host socket. */
export const egressPort = 3128;
export const egressProxyUrl = `http://127.0.0.1:${egressPort}`;

/**
 * Environment of an agent container that reaches the internet through Errand's egress proxy: set
 * at create, so install, start, terminals and every exec inherit it. Both cases, because tools
 * disagree (curl reads only lower-case http_proxy; Go, pip, git, cargo and gem read either);
 * npm, yarn and pip also get their own settings, Node's fetch its opt-in.
 */
export function proxyEnv(): string[] {
  const noProxy = 'localhost,127.0.0.1,::1';
  const vars: Record<string, string> = {
    HTTP_PROXY: egressProxyUrl,
    HTTPS_PROXY: egressProxyUrl,
    http_proxy: egressProxyUrl,
    https_proxy: egressProxyUrl,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    npm_config_proxy: egressProxyUrl,
    npm_config_https_proxy: egressProxyUrl,
    YARN_HTTP_PROXY: egressProxyUrl,
    YARN_HTTPS_PROXY: egressProxyUrl,
    PIP_PROXY: egressProxyUrl,
    NODE_USE_ENV_PROXY: '1',
  };
  return Object.entries(vars).map(([name, value]) => `${name}=${value}`);
}

export interface EgressSidecarRequest {
  docker: Docker;
  agentId: string;
  /** The agent container whose network namespace (network `none`: loopback only) the sidecar joins. */
  containerId: string;
  /** Host directory with the agent's proxy socket; mounted into the sidecar only. */
  socketDir: string;
  image: string;
  labels: Record<string, string>;
}

/**
 * Starts the agent's egress sidecar: socat in the agent container's network namespace, listening
 * on 127.0.0.1:3128 there and forwarding each connection to the agent's proxy socket on the host.
 * The agent container itself never sees the socket, has no route out and no resolver.
 */
export async function startEgressSidecar(request: EgressSidecarRequest): Promise<string> {
  const { docker, agentId } = request;
  try {
    const container = await docker.createContainer({
      name: `errand-${agentId}-egress`,
      Image: request.image,
      Entrypoint: [],
      Cmd: ['socat', `TCP-LISTEN:${egressPort},bind=127.0.0.1,fork,reuseaddr`, 'UNIX-CONNECT:/egress/proxy.sock'],
      // nobody: binds a high port and connects to a world-writable socket, nothing else.
      User: '65534:65534',
      Labels: { ...request.labels, [labels.agent]: agentId, [labels.role]: 'egress' },
      HostConfig: {
        NetworkMode: `container:${request.containerId}`,
        Binds: [`${request.socketDir}:/egress`],
        Privileged: false,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        PidsLimit: 256,
        Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024,
        NanoCpus: 5e8,
        Init: true,
        AutoRemove: false,
      },
    });
    await container.start();
    return container.id;
  } catch (error) {
    throw new ErrandError('sandbox_failed', `could not start the egress sidecar from ${request.image} (it needs socat; ERRAND_EGRESS_IMAGE): ${dockerMessage(error)}`, { cause: error });
  }
}

/** Whether a listed container is an egress sidecar rather than the agent's own container. */
export function isEgressSidecar(info: Docker.ContainerInfo): boolean {
  return info.Labels[labels.role] === 'egress';
}

/** Restarts a sidecar after its agent container (re)started: it must join the new network namespace. */
export async function restartEgressSidecar(docker: Docker, info: Docker.ContainerInfo): Promise<void> {
  await docker.getContainer(info.Id).restart({ t: 0 }).catch(async () => docker.getContainer(info.Id).start());
}
