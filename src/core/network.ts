import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import { z } from 'zod';
import { networkPresets } from './network-presets.js';

/** What an agent's container may reach in one phase: any public destination, listed domains, or nothing. */
export const NetworkMode = z.enum(['full', 'allowlist', 'none']);
export type NetworkMode = z.infer<typeof NetworkMode>;

/** `install` covers the build, install and start; `agent` covers terminals and the agent's commands. */
export type NetworkPhase = 'install' | 'agent';

/** A workspace's egress policy as the proxy applies it: a mode per phase and the allowed domains. */
export interface NetworkPolicy {
  install: NetworkMode;
  agent: NetworkMode;
  /** Validated patterns and `preset:name` entries (see NetworkPattern). */
  allowlist: string[];
}

const label = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * Reads a host name as the proxy compares it: lower case, no trailing dot, unicode as punycode.
 * Null when it is not a DNS name (empty, bad characters, too long).
 */
export function normaliseHost(host: string): string | null {
  const trimmed = host.trim().replace(/\.$/, '');
  if (!trimmed || isIP(trimmed.replace(/^\[|\]$/g, ''))) return null;
  const ascii = domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return null;
  return ascii.split('.').every((part) => label.test(part)) ? ascii : null;
}

/** Why a pattern is refused, or null for a good one; `value` is the normalised pattern. */
export function checkPattern(raw: string): { value: string; problem: string | null } {
  const text = raw.trim().toLowerCase();
  if (text.startsWith('preset:')) {
    const name = text.slice('preset:'.length);
    return { value: text, problem: name in networkPresets ? null : `unknown preset "${name}" (presets: ${Object.keys(networkPresets).join(', ')})` };
  }
  if (text.includes('://')) return { value: text, problem: 'give a domain, not a URL (no scheme): e.g. registry.npmjs.org' };
  if (text.includes('/')) return { value: text, problem: 'give a domain, without a path' };
  const bare = text.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return { value: text, problem: 'IP addresses are not allowed: list the domain name (private addresses are opened only by the server admin, ERRAND_EGRESS_ALLOW_PRIVATE)' };
  if (text.includes(':')) return { value: text, problem: 'give a domain without a port: every port of an allowed domain is allowed' };
  if (text === '*' || text === '*.') return { value: text, problem: '"*" allows everything: set the mode to full instead' };
  const wildcard = text.startsWith('*.');
  const rest = wildcard ? text.slice(2) : text;
  if (rest.includes('*')) return { value: text, problem: 'a wildcard may only stand first, as in *.pypi.org' };
  const host = normaliseHost(rest);
  if (!host) return { value: text, problem: 'not a valid domain name' };
  const value = wildcard ? `*.${host}` : host;
  if (getDomain(host, { allowPrivateDomains: true }) === null) {
    return { value, problem: wildcard ? `${value} covers a whole public suffix (every site under .${host}): name the domain, e.g. *.example.${host}` : `${host} is a public suffix, not a domain` };
  }
  return { value, problem: null };
}

/** One allowlist entry: a domain (`registry.npmjs.org`), a wildcard (`*.pypi.org`) or `preset:name`. */
export const NetworkPattern = z.string().transform((raw, ctx) => {
  const { value, problem } = checkPattern(raw);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `"${raw}": ${problem}` });
    return z.NEVER;
  }
  return value;
});

/** The allowlist with presets replaced by their domains. */
export function expandAllowlist(patterns: string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.startsWith('preset:')) for (const domain of networkPresets[pattern.slice('preset:'.length)] ?? []) out.add(domain);
    else out.add(pattern);
  }
  return [...out];
}

/** Whether a normalised host matches an expanded pattern: exact, or `*.x` for any name under x (not x itself). */
export function matchesPattern(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

/**
 * Where agents' network comes from on this server: Errand's egress proxy (the policy applies), a
 * remote Docker engine that cannot mount the proxy's socket (only `none` works), or a direct
 * Docker network (ERRAND_SANDBOX_NETWORK=bridge/host/…: the policy cannot be enforced).
 */
export type NetworkSupply = { kind: 'proxy' } | { kind: 'unavailable'; reason: string } | { kind: 'direct'; network: string };

/** The network agents of a workspace actually get, for the settings page, the API and the banner. */
export function networkInEffect(supply: NetworkSupply, policy: NetworkPolicy): string {
  const offline = policy.install === 'none' && policy.agent === 'none';
  if (offline) return 'none';
  switch (supply.kind) {
    case 'proxy':
      return `${describeNetwork(policy)}, through Errand's egress proxy`;
    case 'unavailable':
      return `none: agents are refused until networkInstall and networkAgent are none (${supply.reason})`;
    case 'direct':
      return supply.network === 'host'
        ? "the host's network (ERRAND_UNSAFE_HOST_NETWORK): everything the host reaches, Errand's Redis included; the workspace policy is not enforced"
        : `Docker network ${supply.network}, unfiltered: the workspace policy is enforced only with ERRAND_SANDBOX_NETWORK=none`;
  }
}

/** The mode of a phase, for people: "full", "allowlist (12 domains)", "none". */
export function describeNetwork(policy: NetworkPolicy): string {
  const one = (mode: NetworkMode) => (mode === 'allowlist' ? `allowlist (${expandAllowlist(policy.allowlist).length} domains)` : mode);
  return policy.install === policy.agent ? one(policy.install) : `install ${one(policy.install)}, agent ${one(policy.agent)}`;
}
