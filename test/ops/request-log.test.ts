import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import { startHttpServer, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { createLogger, logDestination } from '../../src/logger.js';
import { Scrubber } from '../../src/redact/scrubber.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

const secrets = {
  apiKey: 'errand_live_0123456789abcdefghijklmnopqrstuv',
  cookie: 'errand_session=s3cr3t-session-cookie-value',
  slackSignature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  githubSignature: 'sha256=6f2b5b3c2a1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f',
  loginToken: 'login-link-token-abcdef0123456789',
  queryToken: 'query-secret-0123456789',
};

describe('request logs', () => {
  let server: RunningHttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('log one line per request with method, path and status, and no header, query or login token', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', scrubber: new Scrubber(), destination });
    server = await startHttpServer({
      host: '127.0.0.1', port: 0, log, readiness: [],
      mounts: [{ name: 'echo', mount: (app: Express) => app.post('/slack/events', (_req, res) => void res.status(200).send('ok')) }],
    });
    const sent = await fetch(`${server.url}/slack/events?token=${secrets.queryToken}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.apiKey}`, cookie: secrets.cookie, 'x-slack-signature': secrets.slackSignature, 'x-hub-signature-256': secrets.githubSignature },
      body: 'payload',
    });
    expect(sent.status).toBe(200);
    expect((await fetch(`${server.url}/login/${secrets.loginToken}`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const records = lines.map((line) => JSON.parse(line) as { msg: string; req?: { method: string; path: string }; res?: { statusCode: number }; responseTime?: number });
    const answered = records.filter((record) => record.req);
    expect(answered.map((record) => [record.req!.method, record.req!.path, record.res!.statusCode])).toEqual([
      ['POST', '/slack/events', 200],
      ['GET', '/login/[redacted]', 404],
    ]);
    expect(answered.every((record) => typeof record.responseTime === 'number')).toBe(true);
    const text = lines.join('\n');
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  });
});

describe('log format', () => {
  it('is JSON when stdout is not a terminal', () => {
    expect(logDestination('auto', false)).toBeUndefined();
    expect(logDestination('json', true)).toBeUndefined();
  });

  it('is readable lines on a terminal (pino-pretty), scrubbed all the same', async () => {
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const destination = logDestination('auto', true, output);
    expect(destination).toBeDefined();
    const log = createLogger({ level: 'info', scrubber: new Scrubber(), destination: destination! });
    log.info({ agentId: 'a1' }, 'agent launched with ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    const text = chunks.join('');
    expect(text).toContain('agent launched with [redacted]');
    expect(text).toContain('agentId');
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(() => JSON.parse(text.trim())).toThrow();
  });
});
