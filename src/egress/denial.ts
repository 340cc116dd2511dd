import type { NetworkMode, NetworkPhase } from '../core/index.js';
import type { DenialReason } from './decide.js';

export interface DenialContext {
  host: string;
  port: number;
  phase: NetworkPhase;
  mode: NetworkMode;
  reason: DenialReason;
  detail: string;
}

/** HTTP status of a denial: 403 for policy, 502 for a name that does not resolve, 429 for the connection cap. */
export function denialStatus(reason: DenialReason): number {
  if (reason === 'dns_failed') return 502;
  if (reason === 'too_many_connections') return 429;
  if (reason === 'bad_request' || reason === 'bad_host') return 400;
  return 403;
}

/**
 * The body of a denial, read by people in npm's, pip's or curl's error output: what was blocked,
 * why, and how to allow it.
 */
export function denialText(context: DenialContext): string {
  const { host, port, phase, mode, reason, detail } = context;
  const setting = phase === 'install' ? 'networkInstall' : 'networkAgent';
  const lines = [`Errand's egress proxy blocked ${host}:${port} (${phase} phase, network policy: ${mode}): ${detail}.`];
  switch (reason) {
    case 'not_in_allowlist':
      lines.push(
        `To allow it, a workspace admin adds the domain to the network allowlist: \`errand settings set networkAllowlist=…,${host}\` (or a pattern such as *.example.com, or preset:package-registries), or on the dashboard's Settings page.`,
      );
      break;
    case 'policy_none':
      lines.push(`To allow it, a workspace admin sets \`errand settings set ${setting}=allowlist\` (with networkAllowlist) or \`${setting}=full\`, or changes it on the dashboard's Settings page.`);
      break;
    case 'private_address':
    case 'errand_service':
      lines.push(
        'Loopback, private, link-local and cloud-metadata addresses, the Docker host and Errand\'s own services are never reachable from an agent. A server admin can open one exact host:port (a self-hosted registry) with ERRAND_EGRESS_ALLOW_PRIVATE.',
      );
      break;
    case 'too_many_connections':
      lines.push('Too many connections at once from this agent: wait for some to finish, or lower the parallelism of the tool.');
      break;
    default:
      break;
  }
  return `${lines.join('\n')}\n`;
}
