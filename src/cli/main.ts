import { Command, Option } from 'commander';
import { ErrandError } from '../core/index.js';
import { registerAgentCommands } from './agent-commands.js';
import { errorLine } from './error-line.js';
import { errandVersion } from './version.js';
import type { CliCore } from './core.js';
import { registerKeys } from './keys.js';
import { registerSecrets } from './secrets.js';
import { registerSettings } from './settings.js';

/**
 * The core for admin commands on the server host, loaded on first use: the server's modules
 * (Docker, BullMQ, model SDKs) load only for commands that need them, so API client commands like
 * `errand run` start in about a second.
 */
class LazyCliCore {
  private core: Promise<CliCore> | null = null;

  async get() {
    this.core ??= import('./core.js').then(({ CliCore: Core }) => new Core());
    return (await this.core).get();
  }

  async close(): Promise<void> {
    if (this.core) await (await this.core).close();
  }
}

/** The `errand` command line. */
export function buildProgram(core = new LazyCliCore()): Command {
  const program = new Command('errand')
    .description('Background coding agents from Slack, GitHub, the API and the CLI')
    .version(errandVersion(), '-V, --version', 'print the version of Errand')
    .showHelpAfterError()
    .hook('postAction', () => core.close());
  program
    .command('start')
    .description('run Errand (HTTP server and worker, or one of them)')
    .addOption(new Option('--role <role>', 'which parts to run').choices(['all', 'web', 'worker']))
    .action(async (options: { role?: 'all' | 'web' | 'worker' }) => (await import('./start.js')).start(options));
  registerAgentCommands(program, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    attach: async (agentId) => {
      const [{ attachToAgent }, { cliConfig }] = await Promise.all([import('./attach.js'), import('./core.js')]);
      return attachToAgent(agentId, cliConfig());
    },
  });
  registerKeys(program, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    open: async () => {
      const [ctx, { ApiKeyStore }] = await Promise.all([core.get(), import('../frontends/http/api/api-keys.js')]);
      const { config } = ctx;
      return {
        keys: new ApiKeyStore(ctx.stores.apiKeys, ctx.clock),
        serverUrl: config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
        // The postAction hook closes the core.
        done: async () => undefined,
      };
    },
  });
  registerSecrets(program, async () => {
    const { secrets, stores } = await core.get();
    if (!secrets || !stores.secrets) throw new ErrandError('not_configured', 'secrets need ERRAND_MASTER_KEY (32 bytes, base64): generate one with `openssl rand -base64 32`');
    const store = stores.secrets;
    return { secrets, rewrap: () => store.rewrapAll(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  });
  registerSettings(program, async () => ({ settings: (await core.get()).settings, stdout: process.stdout }));
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // One line with the fix, never a stack trace (LOG_LEVEL=debug prints it, for bug reports).
  process.stderr.write(`errand: ${errorLine(error)}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
