import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** host:port pairs the proxy never connects to, whatever the policy and the private allowances. */
export interface ProtectedEndpoint {
  /** An IP address, or a name (then refused when a request names it; its addresses are private anyway or listed too). */
  address: string;
  port: number;
}

export interface AddressRulesOptions {
  /** `host:port` entries (an IP or a name, and a port) that may reach private addresses: ERRAND_EGRESS_ALLOW_PRIVATE. */
  allowPrivate?: string[];
  /** Errand's own Redis and HTTP server: refused even when allowPrivate lists them. */
  protectedEndpoints?: ProtectedEndpoint[];
  /** Addresses of this host (default: every interface's): refused like private ranges. */
  hostAddresses?: string[];
}

const v4Ranges: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const v6Ranges: [string, number, string][] = [
  ['::', 96, 'unspecified, loopback or IPv4-compatible'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'unique local (private; includes fd00:ec2::254, cloud metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

/** The address rules: private, loopback, link-local and other internal ranges are never reached. */
export class AddressRules {
  private readonly blocks: { list: BlockList; why: string }[] = [];
  private readonly allowPrivate: Set<string>;
  private readonly protectedSet: Set<string>;
  private readonly hostAddresses: Set<string>;

  constructor(options: AddressRulesOptions = {}) {
    for (const [network, prefix, why] of v4Ranges) this.add(network, prefix, 'ipv4', why);
    for (const [network, prefix, why] of v6Ranges) this.add(network, prefix, 'ipv6', why);
    this.allowPrivate = new Set((options.allowPrivate ?? []).map((entry) => entry.trim().toLowerCase()));
    this.protectedSet = new Set((options.protectedEndpoints ?? []).map((endpoint) => key(canonical(endpoint.address), endpoint.port)));
    this.hostAddresses = new Set((options.hostAddresses ?? localAddresses()).map(canonical));
  }

  /**
   * Whether the proxy may connect to `address:port` for a request naming `host`: null when it may,
   * else the reason (`protected`, `private_address`). Private addresses pass only when the exact
   * `host:port` or `address:port` is listed in allowPrivate; Errand's own endpoints never pass.
   */
  check(address: string, port: number, host: string): { denied: string; detail: string } | { allowed: 'public' | 'allowed_private' } {
    const ip = canonical(address);
    if (this.protectedSet.has(key(ip, port)) || this.protectedSet.has(key(host.toLowerCase(), port))) return { denied: 'errand_service', detail: `${ip}:${port} is one of Errand's own services` };
    const internal = this.internal(ip);
    if (!internal) return { allowed: 'public' };
    const listed = this.allowPrivate.has(key(ip, port)) || this.allowPrivate.has(`${host.toLowerCase()}:${port}`);
    if (listed) return { allowed: 'allowed_private' };
    return { denied: 'private_address', detail: `${ip} is ${internal}` };
  }

  /** Why an address is internal, or null for a public one. IPv4-mapped IPv6 is read as IPv4. */
  internal(address: string): string | null {
    const ip = canonical(address);
    if (!isIP(ip)) return 'not an IP address';
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    for (const block of this.blocks) if (block.list.check(ip, family)) return block.why;
    return this.hostAddresses.has(ip) ? 'an address of the Docker host' : null;
  }

  private add(network: string, prefix: number, type: 'ipv4' | 'ipv6', why: string): void {
    const list = new BlockList();
    list.addSubnet(network, prefix, type);
    this.blocks.push({ list, why });
  }
}

/** An address in one spelling: IPv4 dotted, IPv6 compressed lower case, IPv4-mapped IPv6 as IPv4. */
export function canonical(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(bare) !== 6) return bare;
  const compressed = new URL(`http://[${bare.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function key(address: string, port: number): string {
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}
