import { connect } from 'node:net';
import { newAgentId } from '../../src/core/ids.js';
import { waitFor } from '../support/wait.js';
import { connectVia, echo, getVia, proxyBed, startDestinations, type Destinations, type ProxyBed } from '../support/egress.js';

let destinations: Destinations;
let bed: ProxyBed;
const redisPort = 6399;

beforeAll(async () => {
  destinations = await startDestinations();
  bed = proxyBed(destinations, { protectedEndpoints: [{ address: '127.0.0.1', port: redisPort }], limits: { maxConnections: 4, headersTimeoutMs: 400, idleTimeoutMs: 5_000 } });
});
afterAll(async () => {
  await bed.close();
  await destinations.close();
});
beforeEach(() => bed.events.splice(0));

const eventsFor = (host: string) => bed.events.filter((event) => event.host === host);

describe('the egress proxy, policy full', () => {
  it('forwards an absolute-URI request to the vetted address and records one event with bytes when it closes', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const answer = await getVia(socketPath, `http://registry.test:${destinations.httpPort}/pkg?x=1`);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`hello from registry.test:${destinations.httpPort} /pkg?x=1\n`);
    const event = await waitFor(() => eventsFor('registry.test')[0], { what: 'egress event' });
    expect(event).toMatchObject({ type: 'egress', port: destinations.httpPort, allowed: true, reason: 'allowed_private', phase: 'install' });
    expect(event.bytesUp).toBeGreaterThan(20);
    expect(event.bytesDown).toBeGreaterThan(answer.body.length);
  });

  it('tunnels CONNECT to a TCP service and counts the bytes each way', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const tunnel = await connectVia(socketPath, `echo.test:${destinations.echoPort}`);
    expect(tunnel.status).toBe(200);
    expect(await echo(tunnel.socket, 'ping through the tunnel\n')).toBe('ping through the tunnel\n');
    tunnel.socket.end();
    const event = await waitFor(() => eventsFor('echo.test')[0], { what: 'tunnel event at close' });
    expect(event).toMatchObject({ allowed: true, port: destinations.echoPort, bytesUp: 24, bytesDown: 24 });
  });

  it('never reaches loopback, private, metadata or Errand’s own ports, by name or by IP, and says why', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const refused = [
      `http://127.0.0.1:${destinations.closedPort}/`,
      `http://other.test:${destinations.closedPort}/`,
      `http://localhost:${destinations.closedPort}/`,
      `http://[::ffff:127.0.0.1]:${destinations.closedPort}/`,
      `http://[::1]:${destinations.closedPort}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.test/latest/meta-data/',
      'http://10.0.0.1/',
      'http://internal.test/',
      `http://mixed.test:${destinations.httpPort}/`,
      `http://127.0.0.1:${redisPort}/`,
    ];
    for (const url of refused) {
      const answer = await getVia(socketPath, url);
      expect({ url, status: answer.status }).toEqual({ url, status: 403 });
      expect(answer.body).toContain("Errand's egress proxy blocked");
      expect(answer.body).toContain('ERRAND_EGRESS_ALLOW_PRIVATE');
    }
    for (const authority of [`127.0.0.1:${destinations.closedPort}`, 'internal.test:443', '169.254.169.254:80', `[fd00:ec2::254]:80`, `127.0.0.1:${redisPort}`]) {
      const tunnel = await connectVia(socketPath, authority);
      expect({ authority, status: tunnel.status }).toEqual({ authority, status: 403 });
    }
    const reasons = new Set(bed.events.map((event) => `${event.allowed}:${event.reason}`));
    expect(reasons).toEqual(new Set(['false:private_address', 'false:errand_service']));
    expect(destinations.seen.filter((seen) => seen.path.includes('meta-data'))).toEqual([]);
  });

  it('refuses a protected Errand port even when the admin lists it as an allowed private endpoint', async () => {
    const protectedBed = proxyBed(destinations, { protectedEndpoints: [{ address: '127.0.0.1', port: destinations.httpPort }] });
    try {
      const { socketPath } = await protectedBed.open(newAgentId(), {});
      const answer = await getVia(socketPath, `http://registry.test:${destinations.httpPort}/`);
      expect(answer.status).toBe(403);
      expect(protectedBed.events[0]).toMatchObject({ allowed: false, reason: 'errand_service' });
    } finally {
      await protectedBed.close();
    }
  });
});

describe('the egress proxy, allowlist and none', () => {
  it('lets an allowed domain through and answers another with a 403 that explains how to allow it', async () => {
    const { socketPath } = await bed.open(newAgentId(), { install: 'allowlist', agent: 'allowlist', allowlist: ['registry.test', 'preset:package-registries'] });
    expect((await getVia(socketPath, `http://registry.test:${destinations.httpPort}/ok`)).status).toBe(200);
    const denied = await getVia(socketPath, `http://other.test:${destinations.httpPort}/no`);
    expect(denied.status).toBe(403);
    expect(denied.headers['x-errand-egress']).toBe('not_in_allowlist');
    expect(denied.body).toContain('other.test is not in the workspace\'s network allowlist');
    expect(denied.body).toContain('errand settings set networkAllowlist=');
    const tunnel = await connectVia(socketPath, `echo.test:${destinations.echoPort}`);
    expect(tunnel.status).toBe(403);
    expect(tunnel.body).toContain('echo.test is not in the workspace');
    expect(eventsFor('other.test')).toEqual([{ type: 'egress', host: 'other.test', port: destinations.httpPort, allowed: false, reason: 'not_in_allowlist', phase: 'install', bytesUp: 0, bytesDown: 0 }]);
    expect(destinations.seen.some((seen) => seen.path === '/no')).toBe(false);
  });

  it('refuses IP literals in allowlist mode, since the list names domains', async () => {
    const { socketPath } = await bed.open(newAgentId(), { install: 'allowlist', allowlist: ['registry.test'] });
    const answer = await getVia(socketPath, `http://127.0.0.1:${destinations.httpPort}/`);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('names an IP address');
  });

  it('lets nothing out with none', async () => {
    const { socketPath } = await bed.open(newAgentId(), { install: 'none', agent: 'none' });
    const answer = await getVia(socketPath, `http://registry.test:${destinations.httpPort}/`);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('networkInstall=allowlist');
    expect((await connectVia(socketPath, `echo.test:${destinations.echoPort}`)).status).toBe(403);
    expect(bed.events.map((event) => event.reason)).toEqual(['policy_none', 'policy_none']);
  });

  it('applies the install policy until the sandbox switches to the agent phase', async () => {
    const { socketPath, setPhase } = await bed.open(newAgentId(), { install: 'full', agent: 'allowlist', allowlist: ['registry.test'] });
    expect((await getVia(socketPath, `http://other.test:${destinations.httpPort}/`)).status).toBe(200);
    setPhase('agent');
    expect((await getVia(socketPath, `http://other.test:${destinations.httpPort}/`)).status).toBe(403);
    expect((await getVia(socketPath, `http://registry.test:${destinations.httpPort}/`)).status).toBe(200);
    await waitFor(() => bed.events.length === 3, { what: 'three events' });
    expect(bed.events.map((event) => [event.host, event.phase, event.allowed])).toEqual(
      expect.arrayContaining([['other.test', 'install', true], ['other.test', 'agent', false], ['registry.test', 'agent', true]]),
    );
  });
});

describe('the egress proxy, bad input', () => {
  it('answers an origin-form request with what the proxy is', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const answer = await getVia(socketPath, '/etc/passwd');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('absolute http:// URIs');
  });

  it('answers oversized request headers with 431', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const answer = await getVia(socketPath, `http://registry.test:${destinations.httpPort}/`, { 'x-big': 'a'.repeat(20_000) });
    expect(answer.status).toBe(431);
  });

  it('closes a slowloris connection that never finishes its headers', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const socket = connect(socketPath);
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`GET http://registry.test:${destinations.httpPort}/ HTTP/1.1\r\nHost: registry.test\r\nX-Slow: `);
    await waitFor(() => socket.writable && got === '' && true, { what: 'connection open' });
    const drip = setInterval(() => socket.writable && socket.write('a'), 100);
    try {
      await closed;
    } finally {
      clearInterval(drip);
    }
    expect(got).toMatch(/^HTTP\/1\.1 408/);
  });

  it('caps the connections one agent holds open at once, answering 429 past the cap', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    const tunnels = [];
    for (let i = 0; i < 4; i++) tunnels.push(await connectVia(socketPath, `echo.test:${destinations.echoPort}`));
    expect(tunnels.map((tunnel) => tunnel.status)).toEqual([200, 200, 200, 200]);
    const over = await connectVia(socketPath, `echo.test:${destinations.echoPort}`).catch(() => ({ status: 0, body: 'reset' }));
    expect(over.status).toBe(429);
    expect(over.body).toContain('Too many connections at once');
    expect(bed.events.filter((event) => event.reason === 'too_many_connections')).toHaveLength(1);
    for (const tunnel of tunnels) tunnel.socket.destroy();
    await waitFor(() => bed.events.filter((event) => event.allowed).length === 4, { what: 'the four tunnels closed' });
    expect((await connectVia(socketPath, `echo.test:${destinations.echoPort}`)).status).toBe(200);
  });

  it('refuses a CONNECT target that is not host:port', async () => {
    const { socketPath } = await bed.open(newAgentId(), {});
    expect((await connectVia(socketPath, 'registry.test')).status).toBe(400);
    expect((await connectVia(socketPath, 'user@registry.test:443')).status).toBe(400);
  });
});
