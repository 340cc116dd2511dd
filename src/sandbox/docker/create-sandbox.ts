import type { Config } from '../../config.js';
import type { Log } from '../../core/ports/runtime.js';
import { createDockerClient } from './docker-client.js';
import { DockerSandbox } from './docker-sandbox.js';

/** The Docker sandbox wired from Errand's configuration. */
export function createDockerSandbox(config: Config, log: Log, install: string): DockerSandbox {
  return new DockerSandbox({
    docker: createDockerClient(config.dockerHost),
    log: log.child({ component: 'sandbox' }),
    baseImage: config.baseImage,
    install,
    network: config.sandboxNetwork,
    ...(config.egressImage ? { egressImage: config.egressImage } : {}),
    snapshotsKept: config.snapshotsKept,
    memoryMb: config.sandboxMemoryMb,
    cpus: config.sandboxCpus,
    pids: config.sandboxPids,
    diskMb: config.sandboxDiskMb,
    idleGraceMs: config.machineIdleSeconds * 1000,
    maxWarm: config.machineWarmMax,
    poolSize: config.machinePoolSize,
    poolMax: config.machinePoolMax,
  });
}
