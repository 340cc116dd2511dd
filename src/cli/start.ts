import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { banner, startErrand } from '../main.js';
import { createScrubber } from '../redact/scrubber.js';

/**
 * `errand start`: loads config (environment, then .env), starts the role, prints what runs where,
 * and shuts down gracefully on SIGTERM/SIGINT (a second signal forces the exit).
 */
export async function start(options: { role?: Config['role'] }): Promise<void> {
  loadDotenv({ quiet: true });
  let config: Config;
  try {
    config = loadConfig({ ...process.env, ...(options.role ? { ERRAND_ROLE: options.role } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const scrubber = createScrubber();
  const log = createLogger({ level: config.logLevel, scrubber });
  let errand;
  try {
    errand = await startErrand(config, { log, scrubber });
  } catch (error) {
    process.stderr.write(`Errand could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${banner(errand)}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`${signal}: finishing running work (press Ctrl-C again to force)\n`);
    errand.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
