import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Every address a name resolves to (IP literals resolve to themselves). The proxy is the only resolver agents have. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => {
  if (isIP(host)) return [host];
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * Names mapped to fixed addresses first (tests map `registry.test` to 127.0.0.1, or a name to a
 * private address to prove the proxy refuses before connecting), then the fallback resolver.
 */
export function mappedResolver(map: Record<string, string | string[]>, fallback: Resolver = systemResolver): Resolver {
  return async (host) => {
    const mapped = map[host.toLowerCase()];
    if (mapped !== undefined) return Array.isArray(mapped) ? mapped : [mapped];
    return fallback(host);
  };
}
