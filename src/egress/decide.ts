import { isIP } from 'node:net';
import { matchesPattern, normaliseHost, type NetworkMode, type NetworkPhase } from '../core/index.js';
import type { AddressRules } from './address-rules.js';
import type { Resolver } from './resolver.js';

export type Verdict =
  | { allowed: true; reason: 'full' | 'allowlist' | 'allowed_private'; address: string }
  | { allowed: false; reason: DenialReason; detail: string };

export type DenialReason = 'policy_none' | 'not_in_allowlist' | 'private_address' | 'errand_service' | 'bad_host' | 'dns_failed' | 'too_many_connections' | 'bad_request';

export interface DecideRequest {
  host: string;
  port: number;
  phase: NetworkPhase;
  mode: NetworkMode;
  /** Expanded allowlist (presets replaced by domains). */
  allowlist: string[];
  rules: AddressRules;
  resolve: Resolver;
}

/**
 * Whether one connection may go out, and to which address: policy first (mode, allowlist), then
 * every address the name resolves to is checked, and the caller connects to the vetted address
 * only (a second lookup could answer differently: no DNS-rebinding gap).
 */
export async function decide(request: DecideRequest): Promise<Verdict> {
  const { port, phase, mode } = request;
  if (mode === 'none') return { allowed: false, reason: 'policy_none', detail: `the network is off in the ${phase} phase` };
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { allowed: false, reason: 'bad_host', detail: `bad port ${port}` };
  const literal = request.host.replace(/^\[|\]$/g, '');
  const ip = isIP(literal) ? literal : null;
  const host = ip ?? normaliseHost(request.host);
  if (!host) return { allowed: false, reason: 'bad_host', detail: `"${request.host}" is not a host name` };
  if (mode === 'allowlist') {
    if (ip) return { allowed: false, reason: 'not_in_allowlist', detail: 'the allowlist holds domain names, and this request names an IP address' };
    if (!request.allowlist.some((pattern) => matchesPattern(host, pattern))) return { allowed: false, reason: 'not_in_allowlist', detail: `${host} is not in the workspace's network allowlist` };
  }
  let addresses: string[];
  try {
    addresses = ip ? [ip] : await request.resolve(host);
  } catch (error) {
    return { allowed: false, reason: 'dns_failed', detail: `${host} does not resolve (${(error as { code?: string }).code ?? 'lookup failed'})` };
  }
  if (addresses.length === 0) return { allowed: false, reason: 'dns_failed', detail: `${host} has no address` };
  let privateAllowed = false;
  for (const address of addresses) {
    const check = request.rules.check(address, port, host);
    if ('denied' in check) return { allowed: false, reason: check.denied as DenialReason, detail: ip ? check.detail : `${host} resolves to ${check.detail}` };
    if (check.allowed === 'allowed_private') privateAllowed = true;
  }
  return { allowed: true, reason: privateAllowed ? 'allowed_private' : mode, address: addresses[0]! };
}
