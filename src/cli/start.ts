import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { banner, startErrand } from '../main.js';
import { createScrubber } from '../redact/scrubber.js';
import { cliConfig } from './core.js';

/**
 * `errand start`: loads config (environment, then .env), starts the role, prints what runs where,
 * and shuts down gracefully on SIGTERM/SIGINT (a second signal forces the exit).
 */
export async function start(options: { role?: Config['role'] }): Promise<void> {
  const config = cliConfig(options.role ? { ERRAND_ROLE: options.role } : {});
  const scrubber = createScrubber();
  const log = createLogger({ level: config.logLevel, scrubber, format: config.logFormat });
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
    process.stderr.write(`${signal}: shutting down: running agents go back to the queue and resume on the next start (Ctrl-C again to force)\n`);
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
