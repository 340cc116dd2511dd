import type { AgentMode } from '../../core/index.js';
import { finish, run, search, terminalOutput } from './command-tools.js';
import { editFile, listFiles, readFile, writeFile } from './file-tools.js';
import type { Tool } from './tool.js';

export const allTools: readonly Tool[] = [listFiles, readFile, writeFile, editFile, search, run, terminalOutput, finish];

/**
 * The tools offered in a mode. `ask` and `plan` drop write_file and edit_file but keep `run` (to
 * run the tests, inspect the system): whatever a command changes is never committed or pushed, and
 * a plan run's changes are undone when it ends.
 */
export function toolsFor(mode: AgentMode): Tool[] {
  return allTools.filter((tool) => mode === 'agent' || tool.readOnly);
}
