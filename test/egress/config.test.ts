import { loadConfig } from '../../src/config.js';
import { networkInEffect, type NetworkPolicy } from '../../src/core/index.js';
import { networkSupply } from '../../src/egress/index.js';
import { networkLine } from '../../src/main.js';

const full: NetworkPolicy = { install: 'full', agent: 'full', allowlist: [] };

describe('the network agents get from the server configuration', () => {
  it('defaults to network none with the egress proxy', () => {
    const config = loadConfig({});
    expect(config.sandboxNetwork).toBe('none');
    expect(networkSupply(config)).toEqual({ kind: 'proxy' });
    expect(networkInEffect(networkSupply(config), full)).toBe("full, through Errand's egress proxy");
    expect(networkLine(config)).toContain("internet through Errand's egress proxy");
  });

  it('refuses ERRAND_SANDBOX_NETWORK=host unless ERRAND_UNSAFE_HOST_NETWORK says so, and then warns', () => {
    expect(() => loadConfig({ ERRAND_SANDBOX_NETWORK: 'host' })).toThrow(/ERRAND_SANDBOX_NETWORK=host gives agents the host's network: Errand's Redis.*ERRAND_UNSAFE_HOST_NETWORK=true/);
    const config = loadConfig({ ERRAND_SANDBOX_NETWORK: 'host', ERRAND_UNSAFE_HOST_NETWORK: 'true' });
    expect(networkLine(config)).toMatch(/^WARNING: ERRAND_UNSAFE_HOST_NETWORK/);
    expect(networkInEffect(networkSupply(config), full)).toContain('not enforced');
  });

  it('with a remote Docker engine, shows that only none works and why', () => {
    const config = loadConfig({ DOCKER_HOST: 'tcp://docker.example.com:2376' });
    const supply = networkSupply(config);
    expect(supply.kind).toBe('unavailable');
    expect(networkInEffect(supply, full)).toMatch(/^none: agents are refused until networkInstall and networkAgent are none \(the Docker engine is remote/);
    expect(networkInEffect(supply, { install: 'none', agent: 'none', allowlist: [] })).toBe('none');
    expect(networkLine(config)).toContain('NO EGRESS PROXY');
  });

  it('checks ERRAND_EGRESS_ALLOW_PRIVATE entries are host:port', () => {
    expect(loadConfig({ ERRAND_EGRESS_ALLOW_PRIVATE: '10.1.2.3:4873, npm.internal:8080,[fd00::1]:443' }).egressAllowPrivate).toEqual(['10.1.2.3:4873', 'npm.internal:8080', '[fd00::1]:443']);
    expect(() => loadConfig({ ERRAND_EGRESS_ALLOW_PRIVATE: '10.0.0.0/8' })).toThrow(/ERRAND_EGRESS_ALLOW_PRIVATE: "10.0.0.0\/8" is not host:port/);
  });
});
