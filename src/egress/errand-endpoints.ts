import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ProtectedEndpoint } from './address-rules.js';

/**
 * Errand's own Redis and HTTP server as endpoints the proxy refuses even when
 * ERRAND_EGRESS_ALLOW_PRIVATE lists them: a wildcard bind (0.0.0.0, ::) stands for every address
 * of this host, `localhost` for both loopbacks.
 */
export function errandEndpoints(services: { host: string; port: number }[]): ProtectedEndpoint[] {
  const out: ProtectedEndpoint[] = [];
  for (const { host, port } of services) {
    const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
    if (bare === '0.0.0.0' || bare === '::' || bare === '') {
      for (const entry of Object.values(networkInterfaces()).flat()) if (entry) out.push({ address: entry.address, port });
    } else if (bare === 'localhost') {
      out.push({ address: '127.0.0.1', port }, { address: '::1', port }, { address: 'localhost', port });
    } else {
      out.push({ address: isIP(bare) ? bare : bare.replace(/\.$/, ''), port });
    }
  }
  return out;
}

/** Host and port of a redis:// URL (default port 6379). */
export function redisEndpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}
