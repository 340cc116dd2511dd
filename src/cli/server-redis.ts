import { readFileSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config.js';
import { ErrandError } from '../core/index.js';
import { localRedisUrlFile } from '../main.js';
import { connectRedis } from '../redis/connect.js';

/**
 * The Redis of the Errand server on this host, for commands that act as the server's operator
 * (`errand keys …`): REDIS_URL, else the local Redis a running `errand start` left its URL for.
 */
export async function serverRedis(env: NodeJS.ProcessEnv = process.env): Promise<{ redis: Redis; config: Config }> {
  loadDotenv({ quiet: true });
  const config = loadConfig(env);
  let url = config.redisUrl;
  if (!url) {
    try {
      url = readFileSync(localRedisUrlFile(config.dataDir), 'utf8').trim();
    } catch {
      throw new ErrandError(
        'not_configured',
        `no Redis to talk to: start Errand first (\`npm start\` starts a local Redis and leaves its address in ${localRedisUrlFile(config.dataDir)}), or set REDIS_URL`,
      );
    }
  }
  return { redis: await connectRedis(url), config };
}
