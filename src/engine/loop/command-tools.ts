import { z } from 'zod';
import { defineTool, ToolFailure } from './tool.js';
import { displayPath, runScript, workspacePath } from './workspace.js';

const maxMatches = 200;
/** What the model sees of a command's output: head and tail within this many bytes. */
export const commandOutputBytes = 30_000;

export const search = defineTool({
  name: 'search',
  description:
    `Search file contents under a path in /workspace for a regular expression (ripgrep syntax when the image has rg, else grep -E). ` +
    `Prints path:line:text, at most ${maxMatches} matches. Skips .git and node_modules.`,
  readOnly: true,
  schema: z.object({
    pattern: z.string().min(1).describe('Regular expression to look for'),
    path: z.string().default('.').describe('Directory or file relative to /workspace'),
    glob: z.string().optional().describe('Only files whose name matches this glob, e.g. *.ts'),
    ignoreCase: z.boolean().default(false),
  }),
  async run({ pattern, path, glob, ignoreCase }, context) {
    const target = workspacePath(path);
    const result = await runScript(
      context,
      `[ -e "$P" ] || { echo "no such path: $R" >&2; exit 3; }
cd /workspace
rel=$(realpath --relative-to=/workspace "$P")
if command -v rg >/dev/null 2>&1; then
  rg -n --no-heading --color never --hidden -g '!.git' \${I:+-i} \${G:+-g "$G"} -e "$Q" -- "$rel"
else
  grep -rnIE --exclude-dir=.git --exclude-dir=node_modules \${I:+-i} \${G:+--include="$G"} -e "$Q" -- "$rel"
fi`,
      { vars: { P: target, R: displayPath(target), Q: pattern, ...(glob ? { G: glob } : {}), ...(ignoreCase ? { I: '1' } : {}) }, maxOutputBytes: 64 * 1024 },
    );
    // rg and grep exit 1 for "no matches", 2 for a bad pattern or path.
    if (result.exitCode === 1 && result.output.trim() === '') return 'no matches';
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new ToolFailure(result.output.trim() || `search failed (exit ${result.exitCode})`);
    const lines = result.output.split('\n').filter(Boolean).map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
    const more = lines.length > maxMatches ? `\n[more than ${maxMatches} matches: narrow the pattern, path or glob]` : '';
    return lines.slice(0, maxMatches).join('\n') + more;
  },
});

export const run = defineTool({
  name: 'run',
  description:
    'Run a shell command (bash) in /workspace and get its exit code and output (stdout and stderr together; long output keeps its start and end). ' +
    'Use it to build, test, run git read-only commands and inspect the system. Commands must finish: start servers in a terminal instead.',
  readOnly: true,
  schema: z.object({
    command: z.string().min(1).describe('The command line, e.g. "npm test -- --runInBand"'),
    timeoutSeconds: z.number().int().min(1).optional().describe('Stop the command after this many seconds (default and maximum set by the server)'),
  }),
  async run({ command, timeoutSeconds }, context) {
    const timeoutMs = Math.min(timeoutSeconds ? timeoutSeconds * 1000 : context.commandTimeoutMs, context.commandTimeoutMs);
    const result = await context.sandbox.exec(command, {
      env: context.env,
      signal: context.signal,
      timeoutMs,
      maxOutputBytes: commandOutputBytes,
      ...(context.onOutput ? { onOutput: context.onOutput } : {}),
    });
    if (result.aborted) throw new ToolFailure('the command was stopped');
    const killed = result.stillRunning ? 'Errand could not stop it: its processes may still be running' : 'the command was killed';
    const head = result.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s (${killed})` : `exit code ${result.exitCode}`;
    const output = result.output.trim() === '' ? '(no output)' : result.output;
    return { content: `${head}\n${output}`, exitCode: result.exitCode, timedOut: result.timedOut };
  },
});

export const terminalOutput = defineTool({
  name: 'terminal_output',
  description: "Read the last lines of one of the environment's terminals (long-running processes such as dev servers or watchers).",
  readOnly: true,
  schema: z.object({
    name: z.string().min(1).describe('Terminal name, as listed in the system prompt'),
    lines: z.number().int().min(1).max(2000).default(100),
  }),
  async run({ name, lines }, context) {
    const names = await context.sandbox.terminals();
    if (!names.includes(name)) {
      throw new ToolFailure(names.length ? `no terminal named ${name}; the terminals are: ${names.join(', ')}` : 'this environment has no terminals');
    }
    const output = await context.sandbox.terminalOutput(name, lines);
    return output.trim() === '' ? `(terminal ${name} shows nothing yet)` : output;
  },
});

export const finish = defineTool({
  name: 'finish',
  description:
    'Call once when the task is done (or cannot be done). The summary is posted back to the person who asked and its first line becomes the commit title: ' +
    'start with a short imperative title under 72 characters, then say what changed, how you checked it, and anything left to do.',
  readOnly: true,
  schema: z.object({ summary: z.string().min(1).describe('Title line, blank line, then the details (Markdown)') }),
  async run({ summary }) {
    return summary;
  },
});
