import { Command, Option } from 'commander';
import { systemClock } from '../core/index.js';
import { ApiKeyStore } from '../frontends/http/api/index.js';
import { registerAgentCommands } from './agent-commands.js';
import { ApiClientError } from './api-client.js';
import { registerKeys } from './keys.js';
import { serverRedis } from './server-redis.js';
import { start } from './start.js';

/** The `errand` command line. */
export function buildProgram(): Command {
  const program = new Command('errand').description('Background coding agents from Slack, GitHub, the API and the CLI').showHelpAfterError();
  program
    .command('start')
    .description('run Errand (HTTP server and worker, or one of them)')
    .addOption(new Option('--role <role>', 'which parts to run').choices(['all', 'web', 'worker']))
    .action((options: { role?: 'all' | 'web' | 'worker' }) => start(options));
  registerAgentCommands(program, { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  registerKeys(program, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    open: async () => {
      const { redis, config } = await serverRedis(process.env);
      return {
        keys: new ApiKeyStore(redis, 'errand:', systemClock),
        serverUrl: config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
        done: async () => void (await redis.quit().catch(() => redis.disconnect())),
      };
    },
  });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Known errors carry a fix-it message; print it without a stack trace.
  const known = error instanceof ApiClientError || (error instanceof Error && typeof (error as { code?: unknown }).code === 'string');
  process.stderr.write(`errand: ${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
