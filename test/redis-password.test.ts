import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../src/redis/local-server.js';

describe('the Redis that Errand starts for itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-redis-pw-'));
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis({ dir, password: 'a'.repeat(64) });
  });
  afterAll(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback only and refuses commands without the password', async () => {
    expect(redis.url).toBe(`redis://:${'a'.repeat(64)}@127.0.0.1:${redis.port}`);
    // What an agent with a raw socket would try (exec 3<>/dev/tcp/127.0.0.1/<port>).
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(redis.port, '127.0.0.1', () => socket.write('GET x\r\n'));
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString());
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^-NOAUTH/);
    const authed = new Redis(redis.url);
    try {
      expect(await authed.set('x', '1')).toBe('OK');
      expect(await authed.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    } finally {
      authed.disconnect();
    }
  });
});
