import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EgressEvent, NetworkPolicy } from '../../src/core/index.js';
import { AddressRules, EgressRegistry, mappedResolver, type EgressLimits, type ProtectedEndpoint } from '../../src/egress/index.js';
import { silentLog } from './docker.js';

/** Test destinations on 127.0.0.1: an HTTP server that names itself, and a TCP echo server. */
export interface Destinations {
  httpPort: number;
  echoPort: number;
  /** A loopback port nobody lists: must stay unreachable. */
  closedPort: number;
  /** Requests the HTTP server saw (path and Host header). */
  seen: { path: string; host: string }[];
  close(): Promise<void>;
}

export async function startDestinations(): Promise<Destinations> {
  const seen: { path: string; host: string }[] = [];
  const http = createHttpServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host ?? '' });
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes') ?? 0);
    if (size > 0) {
      res.writeHead(200, { 'content-length': size });
      res.end(Buffer.alloc(size, 120));
      return;
    }
    res.end(`hello from ${req.headers.host} ${req.url}\n`);
  });
  const echo = createTcpServer((socket) => socket.pipe(socket));
  const other = createHttpServer((_req, res) => res.end('must never be reached\n'));
  const listen = (server: Server | ReturnType<typeof createTcpServer>) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [httpPort, echoPort, closedPort] = await Promise.all([listen(http), listen(echo), listen(other)]);
  return {
    httpPort, echoPort, closedPort, seen,
    close: async () => {
      for (const server of [http, echo, other]) await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface ProxyBed {
  registry: EgressRegistry;
  dataDir: string;
  events: EgressEvent[];
  open(agentId: string, policy: Partial<NetworkPolicy>, phase?: 'install' | 'agent'): Promise<{ socketPath: string; socketDir: string; setPhase: (phase: 'install' | 'agent') => void }>;
  close(): Promise<void>;
}

/**
 * A real egress registry on a temporary data dir. Test names resolve to loopback (or to a private
 * address, to prove a refusal before connecting); only the destinations' own ports are listed as
 * allowed private endpoints, as ERRAND_EGRESS_ALLOW_PRIVATE would.
 */
export function proxyBed(destinations: Destinations, options: { protectedEndpoints?: ProtectedEndpoint[]; limits?: Partial<EgressLimits>; allowPrivate?: string[] } = {}): ProxyBed {
  const dataDir = mkdtempSync(join(tmpdir(), 'errand-egress-'));
  const events: EgressEvent[] = [];
  const registry = new EgressRegistry({
    dataDir,
    log: silentLog,
    rules: new AddressRules({
      allowPrivate: [`127.0.0.1:${destinations.httpPort}`, `127.0.0.1:${destinations.echoPort}`, ...(options.allowPrivate ?? [])],
      protectedEndpoints: options.protectedEndpoints ?? [],
    }),
    resolve: mappedResolver({
      'registry.test': '127.0.0.1',
      'pypi.test': '127.0.0.1',
      'other.test': '127.0.0.1',
      'echo.test': '127.0.0.1',
      'internal.test': '10.0.0.1',
      'metadata.test': '169.254.169.254',
      'mixed.test': ['127.0.0.1', '10.0.0.1'],
    }),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    registry, dataDir, events,
    open: async (agentId, policy, phase) => {
      const session = await registry.open(agentId, {
        policy: { install: 'full', agent: 'full', allowlist: [], ...policy },
        ...(phase ? { phase } : {}),
        onEvent: (event) => events.push(event),
      });
      return { socketPath: join(session.socketDir, 'proxy.sock'), socketDir: session.socketDir, setPhase: session.setPhase };
    },
    close: async () => {
      await registry.closeAll();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An absolute-URI GET through the proxy's Unix socket. */
export function getVia(socketPath: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const host = url.startsWith('http') ? new URL(url).host : 'proxy';
    const req = request({ socketPath, path: url, headers: { host, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A CONNECT through the proxy: the status, and the tunnel's socket when it was opened. */
export function connectVia(socketPath: string, authority: string): Promise<{ status: number; body: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'CONNECT', path: authority, agent: false });
    req.on('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status === 200) {
        resolve({ status, body: '', socket });
        return;
      }
      // A refusal: Node hands over the socket for any answer to CONNECT; the body follows.
      const chunks: Buffer[] = [head];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve({ status, body: Buffer.concat(chunks).toString(), socket }));
      socket.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes a line into an open tunnel and reads the echo back. */
export function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}
