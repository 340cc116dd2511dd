import { Command, Option } from 'commander';
import { start } from './start.js';

/** The `errand` command line. */
export function buildProgram(): Command {
  const program = new Command('errand').description('Background coding agents from Slack, GitHub, the API and the CLI').showHelpAfterError();
  program
    .command('start')
    .description('run Errand (HTTP server and worker, or one of them)')
    .addOption(new Option('--role <role>', 'which parts to run').choices(['all', 'web', 'worker']))
    .action((options: { role?: 'all' | 'web' | 'worker' }) => start(options));
  return program;
}

await buildProgram().parseAsync(process.argv);
