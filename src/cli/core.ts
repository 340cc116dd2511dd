import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openCore, type CoreContext } from '../context.js';
import { createLogger } from '../logger.js';
import { createScrubber } from '../redact/scrubber.js';

/** Config from the environment and `.env`; a wrong value ends the command with the message (exit 78). */
export function cliConfig(overrides: Record<string, string> = {}): Config {
  loadDotenv({ quiet: true });
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * The core for admin commands that run on the server host (secrets, settings, keys): opened on
 * first use, closed when the command ends.
 */
export class CliCore {
  private core: Promise<CoreContext> | null = null;

  get(): Promise<CoreContext> {
    if (!this.core) {
      const config = cliConfig();
      const scrubber = createScrubber();
      const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', scrubber, destination: process.stderr as never });
      this.core = openCore(config, { log, scrubber }, { startRedis: false });
    }
    return this.core;
  }

  async close(): Promise<void> {
    const core = this.core;
    this.core = null;
    if (core) await (await core).close();
  }
}
