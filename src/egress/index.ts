export { AddressRules, canonical, type AddressRulesOptions, type ProtectedEndpoint } from './address-rules.js';
export { decide, type DenialReason, type Verdict } from './decide.js';
export { denialStatus, denialText } from './denial.js';
export { defaultEgressLimits, EgressProxy, parseAuthority, type EgressLimits, type EgressProxyOptions } from './egress-proxy.js';
export { EgressRegistry, type EgressRegistryOptions } from './egress-registry.js';
export { errandEndpoints, redisEndpoint } from './errand-endpoints.js';
export { egressFromConfig, isLocalDocker, networkSupply } from './from-config.js';
export { mappedResolver, systemResolver, type Resolver } from './resolver.js';
