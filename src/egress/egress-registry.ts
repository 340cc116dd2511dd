import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErrandError, type EgressEvent, type EgressGateway, type EgressSession, type Log, type NetworkPhase, type NetworkPolicy } from '../core/index.js';
import type { AddressRules } from './address-rules.js';
import { defaultEgressLimits, EgressProxy, type EgressLimits } from './egress-proxy.js';
import { systemResolver, type Resolver } from './resolver.js';

export interface EgressRegistryOptions {
  /** ERRAND_DATA_DIR: sockets live in `<dataDir>/egress/<agentId>/proxy.sock`. */
  dataDir: string;
  rules: AddressRules;
  resolve?: Resolver;
  limits?: Partial<EgressLimits>;
  log: Log;
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
const maxSocketPath = 107;

/**
 * The worker's egress proxies, one Unix-socket listener per agent, so every connection is known
 * to belong to one agent and is judged by that agent's policy and current phase.
 */
export class EgressRegistry implements EgressGateway {
  private readonly proxies = new Map<string, EgressProxy>();
  private readonly limits: EgressLimits;

  constructor(private readonly options: EgressRegistryOptions) {
    this.limits = { ...defaultEgressLimits, ...options.limits };
  }

  socketDir(agentId: string): string {
    return join(resolve(this.options.dataDir), 'egress', agentId);
  }

  async open(agentId: string, options: { policy: NetworkPolicy; phase?: NetworkPhase; onEvent: (event: EgressEvent) => void }): Promise<EgressSession> {
    const earlier = this.proxies.get(agentId);
    this.proxies.delete(agentId);
    await earlier?.close();
    const dir = this.socketDir(agentId);
    const socketPath = join(dir, 'proxy.sock');
    if (Buffer.byteLength(socketPath) > maxSocketPath) {
      throw new ErrandError('not_configured', `the egress socket path ${socketPath} is longer than Unix sockets allow (${maxSocketPath} bytes): set ERRAND_DATA_DIR to a shorter path`);
    }
    // A directory kept from the agent's last run is the one its running sidecar has mounted: reuse it.
    const kept = await stat(dir).then((info) => info.isDirectory(), () => false);
    await mkdir(dir, { recursive: true });
    // Under userns-remap the sidecar's root is uid 100000+ on the host: it needs to search the directory.
    await chmod(dir, 0o711);
    const log = this.options.log.child({ agentId, component: 'egress' });
    const proxy = new EgressProxy({
      socketPath,
      policy: options.policy,
      phase: options.phase ?? 'install',
      rules: this.options.rules,
      resolve: this.options.resolve ?? systemResolver,
      limits: this.limits,
      onEvent: options.onEvent,
      log,
    });
    await proxy.listen();
    this.proxies.set(agentId, proxy);
    log.debug({ socketPath }, 'egress proxy listening');
    return {
      socketDir: dir,
      kept,
      setPhase: (phase) => proxy.setPhase(phase),
      close: (options) => this.close(agentId, options),
    };
  }

  async close(agentId: string, options: { keepDir?: boolean } = {}): Promise<void> {
    const proxy = this.proxies.get(agentId);
    this.proxies.delete(agentId);
    await proxy?.close();
    if (!options.keepDir) await rm(this.socketDir(agentId), { recursive: true, force: true });
  }

  /**
   * Closes every listener (worker shutdown). The directories stay: machines kept warm still have
   * them mounted in their sidecars, and the next worker listens in them again.
   */
  async closeAll(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((agentId) => this.close(agentId, { keepDir: true })));
  }
}
