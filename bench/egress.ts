// What the egress proxy costs: added latency per small request (median over N GETs through the
// proxy vs straight to the server, same run) and throughput of a large download with and without
// it (HTTP forwarding and a CONNECT tunnel).
// Usage: npx tsx bench/egress.ts [requests=200] [megabytes=200] [downloads=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type RequestOptions } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../src/core/ports/runtime.js';
import { AddressRules, EgressRegistry, mappedResolver } from '../src/egress/index.js';

const requests = Number(process.argv[2] ?? 200);
const megabytes = Number(process.argv[3] ?? 200);
const downloads = Number(process.argv[4] ?? 3);
const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
const chunk = Buffer.alloc(1024 * 1024, 120);

const server = createServer((req, res) => {
  if (req.url === '/large') {
    res.writeHead(200, { 'content-length': megabytes * chunk.length });
    let left = megabytes;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  res.end('ok\n');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const port = (server.address() as AddressInfo).port;
const dataDir = mkdtempSync(join(tmpdir(), 'errand-bench-egress-'));
const registry = new EgressRegistry({
  dataDir,
  log: silent,
  rules: new AddressRules({ allowPrivate: [`127.0.0.1:${port}`] }),
  resolve: mappedResolver({ 'bench.test': '127.0.0.1' }),
  limits: { maxConnections: 1000 },
});
const session = await registry.open('bench', { policy: { install: 'full', agent: 'full', allowlist: [] }, onEvent: () => undefined });
const socketPath = join(session.socketDir, 'proxy.sock');

/** One GET on a fresh connection (as a proxied client makes); resolves with the body's byte count. */
function get(options: RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ ...options, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (data: Buffer) => (bytes += data.length));
      res.on('end', () => resolve(bytes));
    });
    req.on('error', reject);
    req.end();
  });
}

const direct = (path: string) => get({ host: '127.0.0.1', port, path });
const proxied = (path: string) => get({ socketPath, path: `http://bench.test:${port}${path}`, headers: { host: `bench.test:${port}` } });

/** A GET inside a CONNECT tunnel through the proxy. */
function tunnelled(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let head = '';
    let bytes = -1;
    socket.on('data', (data: Buffer) => {
      if (bytes < 0) {
        head += data.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (head.startsWith('HTTP/1.1 200 Connection')) {
          const rest = head.slice(end + 4);
          head = '';
          bytes = 0;
          socket.write(`GET ${path} HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n`);
          if (rest) bytes += Buffer.byteLength(rest, 'latin1');
        } else reject(new Error(head));
        return;
      }
      bytes += data.length;
    });
    socket.on('end', () => resolve(bytes));
    socket.on('error', reject);
    socket.write(`CONNECT bench.test:${port} HTTP/1.1\r\nHost: bench.test:${port}\r\n\r\n`);
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const bytes = await fn();
  return { ms: performance.now() - started, bytes };
}

try {
  for (let i = 0; i < 20; i++) await Promise.all([direct('/'), proxied('/')]); // warm up
  const directMs: number[] = [];
  const proxiedMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    directMs.push((await timed(() => direct('/'))).ms);
    proxiedMs.push((await timed(() => proxied('/'))).ms);
  }
  const mbps = (run: { ms: number; bytes: number }) => run.bytes / 1024 / 1024 / (run.ms / 1000);
  const directMBps: number[] = [];
  const forwardMBps: number[] = [];
  const tunnelMBps: number[] = [];
  for (let i = 0; i < downloads; i++) {
    directMBps.push(mbps(await timed(() => direct('/large'))));
    forwardMBps.push(mbps(await timed(() => proxied('/large'))));
    tunnelMBps.push(mbps(await timed(() => tunnelled('/large'))));
  }
  const round = (n: number, digits = 2) => Number(n.toFixed(digits));
  console.log(JSON.stringify({
    requests,
    smallGetDirectMedianMs: round(median(directMs), 3),
    smallGetProxiedMedianMs: round(median(proxiedMs), 3),
    addedLatencyMedianMs: round(median(proxiedMs) - median(directMs), 3),
    proxiedOverDirect: round(median(proxiedMs) / median(directMs)),
    downloadMegabytes: megabytes,
    downloads,
    directMedianMBps: round(median(directMBps), 0),
    forwardedMedianMBps: round(median(forwardMBps), 0),
    tunnelledMedianMBps: round(median(tunnelMBps), 0),
    forwardedOverDirect: round(median(forwardMBps) / median(directMBps)),
    tunnelledOverDirect: round(median(tunnelMBps) / median(directMBps)),
  }, null, 2));
} finally {
  await registry.closeAll();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
