import type { Config } from '../config.js';
import type { EgressGateway, Log, NetworkSupply } from '../core/index.js';
import { AddressRules } from './address-rules.js';
import { EgressRegistry } from './egress-registry.js';
import { errandEndpoints, redisEndpoint } from './errand-endpoints.js';

/** Whether the Docker engine runs here: the sidecar mounts a host directory, so the engine must see this host's files. */
export function isLocalDocker(dockerHost: string | undefined): boolean {
  return !dockerHost || dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe://');
}

export function networkSupply(config: Pick<Config, 'dockerHost' | 'sandboxNetwork'>): NetworkSupply {
  if (config.sandboxNetwork !== 'none') return { kind: 'direct', network: config.sandboxNetwork };
  if (!isLocalDocker(config.dockerHost)) {
    return {
      kind: 'unavailable',
      reason: `the Docker engine is remote (DOCKER_HOST=${config.dockerHost}), so the egress proxy's socket cannot be mounted into agent sidecars; agents can only run with no network: set networkInstall=none and networkAgent=none for the workspace (\`errand settings set networkInstall=none networkAgent=none\`), or run the worker on the Docker host`,
    };
  }
  return { kind: 'proxy' };
}

/** The egress proxy from configuration, or why there is none, for the engine. */
export function egressFromConfig(config: Config, redisUrl: string, log: Log): { egress: EgressGateway | null; egressUnavailable: string | null } {
  const supply = networkSupply(config);
  if (supply.kind === 'unavailable') return { egress: null, egressUnavailable: supply.reason };
  if (supply.kind === 'direct') return { egress: null, egressUnavailable: null };
  const rules = new AddressRules({
    allowPrivate: config.egressAllowPrivate,
    protectedEndpoints: errandEndpoints([redisEndpoint(redisUrl), { host: config.host, port: config.port }]),
  });
  const egress = new EgressRegistry({
    dataDir: config.dataDir,
    rules,
    limits: { maxConnections: config.egressMaxConnections, idleTimeoutMs: config.egressIdleTimeoutSeconds * 1000 },
    log,
  });
  return { egress, egressUnavailable: null };
}
