import { chmod, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expandAllowlist, type EgressEvent, type Log, type NetworkPhase, type NetworkPolicy } from '../core/index.js';
import type { AddressRules } from './address-rules.js';
import { decide, type DenialReason, type Verdict } from './decide.js';
import { denialStatus, denialText } from './denial.js';
import type { Resolver } from './resolver.js';

/** Limits of one agent's proxy (ERRAND_EGRESS_* variables). */
export interface EgressLimits {
  /** Client connections open at once (tunnels and HTTP connections); more are answered 429. */
  maxConnections: number;
  /** Time a client has to send a request's headers (slowloris); then 408 and close. */
  headersTimeoutMs: number;
  /** A connection (client or tunnel) with no traffic this long is closed. */
  idleTimeoutMs: number;
  /** Request header bytes; more are answered 431. */
  maxHeaderBytes: number;
  /** Time to connect to the destination. */
  connectTimeoutMs: number;
}

export const defaultEgressLimits: EgressLimits = {
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  connectTimeoutMs: 15_000,
};

export interface EgressProxyOptions {
  socketPath: string;
  policy: NetworkPolicy;
  phase: NetworkPhase;
  rules: AddressRules;
  resolve: Resolver;
  limits: EgressLimits;
  onEvent: (event: EgressEvent) => void;
  log: Log;
  /** Milliseconds now (rate-limits the "too many connections" event). */
  now?: () => number;
}

/** Request headers that concern one hop only (RFC 9110 7.6.1), plus the proxy's own. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * One agent's forward proxy on a Unix socket: absolute-URI HTTP requests are forwarded and CONNECT
 * is tunnelled, each after `decide` vetted the destination; the proxy then connects to exactly the
 * vetted address. Every connection becomes one `egress` event when it closes (a denial at once).
 */
export class EgressProxy {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  /** Connections answered 429 at accept: whatever they send next is ignored. */
  private readonly refused = new WeakSet<Socket>();
  private readonly allowlist: string[];
  private phase: NetworkPhase;
  private lastCapEvent = -Infinity;
  private refusedSinceEvent = 0;

  constructor(private readonly options: EgressProxyOptions) {
    this.phase = options.phase;
    this.allowlist = expandAllowlist(options.policy.allowlist);
    const { limits } = options;
    this.server = createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    });
    this.server.setTimeout(limits.idleTimeoutMs);
    this.server.on('connection', (socket: Socket) => this.accept(socket));
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.forward(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.tunnel(req, socket, head));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.clientError(error, socket));
  }

  async listen(): Promise<void> {
    await rm(this.options.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Agent containers run under userns-remap (root there is uid 100000+ here): the sidecar must connect.
    await chmod(this.options.socketPath, 0o666);
  }

  setPhase(phase: NetworkPhase): void {
    this.phase = phase;
  }

  /** Connections open now (for tests and the cap). */
  get connections(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    await closed;
    await rm(this.options.socketPath, { force: true });
  }

  private accept(socket: Socket): void {
    if (this.clients.size >= this.options.limits.maxConnections) {
      this.refuseOverCap(socket);
      return;
    }
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => undefined);
  }

  private refuseOverCap(socket: Socket): void {
    this.refused.add(socket);
    socket.on('error', () => undefined);
    const detail = `this agent already has ${this.options.limits.maxConnections} connections open`;
    const body = denialText({ host: '*', port: 0, phase: this.phase, mode: this.options.policy[this.phase], reason: 'too_many_connections', detail });
    socket.end(rawResponse(429, 'Too Many Requests', body));
    // One event per burst, not one per refused connection.
    this.refusedSinceEvent++;
    const now = this.options.now?.() ?? Date.now();
    if (now - this.lastCapEvent >= 10_000) {
      this.lastCapEvent = now;
      this.options.onEvent({ type: 'egress', host: '*', port: 0, allowed: false, reason: 'too_many_connections', phase: this.phase, bytesUp: 0, bytesDown: 0 });
      this.options.log.warn({ refused: this.refusedSinceEvent, max: this.options.limits.maxConnections }, 'egress connections over the cap refused');
      this.refusedSinceEvent = 0;
    }
  }

  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_HEADER_OVERFLOW') socket.end(rawResponse(431, 'Request Header Fields Too Large', `request headers larger than ${this.options.limits.maxHeaderBytes} bytes\n`));
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end(rawResponse(408, 'Request Timeout', 'the request headers did not arrive in time\n'));
    else socket.end(rawResponse(400, 'Bad Request', "not an HTTP request: this is Errand's egress proxy\n"));
  }

  private async check(host: string, port: number): Promise<{ verdict: Verdict; phase: NetworkPhase }> {
    const phase = this.phase;
    const { policy, rules, resolve } = this.options;
    const verdict = await decide({ host, port, phase, mode: policy[phase], allowlist: this.allowlist, rules, resolve });
    return { verdict, phase };
  }

  private denied(host: string, port: number, phase: NetworkPhase, reason: DenialReason, detail: string): { status: number; body: string } {
    this.options.onEvent({ type: 'egress', host, port, allowed: false, reason, phase, bytesUp: 0, bytesDown: 0 });
    this.options.log.info({ host, port, phase, reason }, 'egress denied');
    return { status: denialStatus(reason), body: denialText({ host, port, phase, mode: this.options.policy[phase], reason, detail }) };
  }

  /** An absolute-URI request (`GET http://host/path`), forwarded on a fresh connection to the vetted address. */
  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.refused.has(req.socket)) return;
    const url = parseAbsolute(req.url ?? '');
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(
        "Errand's egress proxy forwards absolute http:// URIs and tunnels CONNECT (https); set HTTP_PROXY/HTTPS_PROXY to use it.\n",
      );
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 80);
    const { verdict, phase } = await this.check(host, port);
    if (!verdict.allowed) {
      const { status, body } = this.denied(host, port, phase, verdict.reason, verdict.detail);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-errand-egress': verdict.reason }).end(body);
      return;
    }
    const upstream = httpRequest({
      host: verdict.address,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      // RFC 9112 3.2.2: a proxy replaces Host with the absolute URI's authority (the vetted one).
      headers: { ...endToEnd(req.headers), host: url.host },
      setHost: false,
      agent: false,
    });
    // A plain timer rather than the `timeout` option: that one re-arms a socket timer on every read.
    const connectTimer = setTimeout(
      () => upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
      this.options.limits.connectTimeoutMs,
    );
    let socket: Socket | null = null;
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      this.options.onEvent({ type: 'egress', host, port, allowed: true, reason: verdict.reason, phase, bytesUp: socket?.bytesWritten ?? 0, bytesDown: socket?.bytesRead ?? 0 });
    };
    upstream.on('socket', (s: Socket) => {
      s.setNoDelay(true);
      s.once('connect', () => clearTimeout(connectTimer));
      s.once('close', () => clearTimeout(connectTimer));
      socket = s;
      this.upstreams.add(s);
      s.on('close', () => this.upstreams.delete(s));
    });
    upstream.on('response', (answer) => {
      answer.socket.setTimeout(this.options.limits.idleTimeoutMs, () => answer.socket.destroy());
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`Errand's egress proxy could not reach ${host}:${port} (${error.code ?? error.message}).\n`);
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      report();
    });
    req.pipe(upstream);
  }

  /** CONNECT host:port: vetted, then a TCP tunnel to the vetted address. */
  private async tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    if (this.refused.has(client)) return;
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      client.end(rawResponse(400, 'Bad Request', 'CONNECT needs host:port\n'));
      return;
    }
    const { host, port } = target;
    const { verdict, phase } = await this.check(host, port);
    if (!verdict.allowed) {
      const { status, body } = this.denied(host, port, phase, verdict.reason, verdict.detail);
      client.end(rawResponse(status, statusText(status), body, { 'X-Errand-Egress': verdict.reason }));
      return;
    }
    const { limits } = this.options;
    const upstream = connect({ host: verdict.address, port });
    this.upstreams.add(upstream);
    upstream.setTimeout(limits.connectTimeoutMs);
    let connected = false;
    let reported = false;
    const finish = () => {
      if (reported) return;
      reported = true;
      this.upstreams.delete(upstream);
      client.destroy();
      upstream.destroy();
      this.options.onEvent({ type: 'egress', host, port, allowed: true, reason: verdict.reason, phase, bytesUp: upstream.bytesWritten, bytesDown: upstream.bytesRead });
    };
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(limits.idleTimeoutMs);
      client.setTimeout(limits.idleTimeoutMs);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('timeout', () => {
      if (!connected) client.end(rawResponse(504, 'Gateway Timeout', `Errand's egress proxy could not connect to ${host}:${port} in time.\n`));
      finish();
    });
    client.on('timeout', finish);
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && client.writable) client.end(rawResponse(502, 'Bad Gateway', `Errand's egress proxy could not reach ${host}:${port} (${error.code ?? error.message}).\n`));
      finish();
    });
    // No half-closed tunnels: either side ending ends both (and the event is written).
    upstream.on('end', finish);
    client.on('end', finish);
    upstream.on('close', finish);
    client.on('close', finish);
    client.on('error', finish);
  }
}

function parseAbsolute(target: string): URL | null {
  if (!/^http:\/\//i.test(target)) return null;
  try {
    return new URL(target);
  } catch {
    return null;
  }
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
export function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s@]+)):(\d{1,5})$/.exec(authority);
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (match[1] ?? match[2])!, port };
}

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function statusText(status: number): string {
  return { 400: 'Bad Request', 403: 'Forbidden', 429: 'Too Many Requests', 502: 'Bad Gateway' }[status] ?? 'Error';
}

function rawResponse(status: number, text: string, body: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}
