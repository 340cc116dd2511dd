import { Command, Option } from 'commander';
import { ErrandError } from '../core/index.js';
import { attachToAgent } from './attach.js';
import { CliCore, cliConfig } from './core.js';
import { registerSecrets } from './secrets.js';
import { registerSettings } from './settings.js';
import { start } from './start.js';

/** The `errand` command line. */
export function buildProgram(core = new CliCore()): Command {
  const program = new Command('errand')
    .description('Background coding agents from Slack, GitHub, the API and the CLI')
    .showHelpAfterError()
    .hook('postAction', () => core.close());
  program
    .command('start')
    .description('run Errand (HTTP server and worker, or one of them)')
    .addOption(new Option('--role <role>', 'which parts to run').choices(['all', 'web', 'worker']))
    .action((options: { role?: 'all' | 'web' | 'worker' }) => start(options));
  program
    .command('attach <agent-id>')
    .description("take over an agent's machine: opens its tmux session here (detach with Ctrl-b d)")
    .action(async (agentId: string) => {
      process.exitCode = await attachToAgent(agentId, cliConfig());
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
  if (!(error instanceof ErrandError)) throw error;
  process.stderr.write(`errand: ${error.message}\n`);
  process.exit(1);
}
