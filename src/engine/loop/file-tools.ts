import { z } from 'zod';
import { defineTool, ToolFailure, type ToolContext } from './tool.js';
import { displayPath, runScript, workspacePath } from './workspace.js';

/** Directories listed but not entered: they are large and rarely what the agent wants. */
const skippedDirs = ['.git', 'node_modules', '.venv', 'venv', '__pycache__', 'target', 'dist', 'build', '.next', '.cache'];
const maxListed = 500;
const maxReadLines = 2000;
const maxReadBytes = 100_000;
/** Files larger than this are not edited through edit_file (write_file still works). */
const maxEditBytes = 4 * 1024 * 1024;

export const listFiles = defineTool({
  name: 'list_files',
  description:
    `List files and directories under a path in /workspace (directories end in /). Skips the contents of ${skippedDirs.join(', ')}. ` +
    'Use depth to see deeper levels.',
  readOnly: true,
  schema: z.object({
    path: z.string().default('.').describe('Directory relative to /workspace; "." for the repository root'),
    depth: z.number().int().min(1).max(10).default(2).describe('How many levels to descend (default 2)'),
  }),
  async run({ path, depth }, context) {
    const dir = workspacePath(path);
    const prune = skippedDirs.map((d) => `-name '${d}'`).join(' -o ');
    const result = await runScript(
      context,
      `[ -d "$P" ] || { echo "no such directory: $R" >&2; exit 3; }
cd "$P" && find . -mindepth 1 -maxdepth "$D" -type d \\( ${prune} \\) -prune -printf '%P/ (not listed)\\n' -o -type d -printf '%P/\\n' -o -printf '%P\\n' | LC_ALL=C sort | head -n ${maxListed + 1}`,
      { vars: { P: dir, R: displayPath(dir), D: String(depth) } },
    );
    if (result.exitCode !== 0) throw new ToolFailure(result.output.trim());
    const lines = result.output.split('\n').filter(Boolean);
    if (lines.length === 0) return `${displayPath(dir)} is empty`;
    const more = lines.length > maxListed ? `\n[more than ${maxListed} entries: list a subdirectory or lower depth]` : '';
    return lines.slice(0, maxListed).join('\n') + more;
  },
});

export const readFile = defineTool({
  name: 'read_file',
  description:
    `Read a text file in /workspace, with line numbers (tab-separated; they are not part of the file). ` +
    `Give startLine/endLine to read a range; at most ${maxReadLines} lines per call.`,
  readOnly: true,
  schema: z.object({
    path: z.string().min(1).describe('File path relative to /workspace'),
    startLine: z.number().int().min(1).optional().describe('First line to read (1-based)'),
    endLine: z.number().int().min(1).optional().describe('Last line to read (inclusive)'),
  }),
  async run({ path, startLine, endLine }, context) {
    const file = workspacePath(path);
    const start = startLine ?? 1;
    const end = Math.min(endLine ?? start + maxReadLines - 1, start + maxReadLines - 1);
    if (end < start) throw new ToolFailure(`endLine (${end}) is before startLine (${start})`);
    const result = await runScript(
      context,
      `[ -e "$P" ] || { echo "no such file: $R (use list_files or search to find it)" >&2; exit 3; }
[ -d "$P" ] && { echo "$R is a directory: use list_files" >&2; exit 3; }
if [ -s "$P" ] && ! head -c 8000 "$P" | grep -qI . ; then echo "$R is a binary file ($(wc -c < "$P") bytes)" >&2; exit 3; fi
awk -v s="$S" -v e="$E" 'NR>=s && NR<=e { printf "%d\\t%s\\n", NR, $0 } END { printf "[%s: lines %d-%d of %d]\\n", ENVIRON["R"], (NR<s?NR:s), (NR<e?NR:e), NR }' "$P"`,
      { vars: { P: file, R: displayPath(file), S: String(start), E: String(end) }, maxOutputBytes: maxReadBytes },
    );
    if (result.exitCode !== 0) throw new ToolFailure(result.output.trim());
    return result.truncated ? `${result.output}\n[output cut at ${maxReadBytes} bytes: read a smaller range]` : result.output;
  },
});

export const writeFile = defineTool({
  name: 'write_file',
  description: 'Create or overwrite a file in /workspace with the given content (parent directories are created). Prefer edit_file for changes to existing files.',
  readOnly: false,
  schema: z.object({
    path: z.string().min(1).describe('File path relative to /workspace'),
    content: z.string().describe('The whole new content of the file'),
  }),
  async run({ path, content }, context) {
    const file = workspacePath(path);
    await writeText(context, file, content);
    return `wrote ${displayPath(file)} (${countLines(content)} lines, ${Buffer.byteLength(content)} bytes)`;
  },
});

export const editFile = defineTool({
  name: 'edit_file',
  description:
    'Replace exact text in a file in /workspace. old_string must match the file exactly (whitespace and indentation included, without read_file\'s line numbers) ' +
    'and, unless replace_all is true, occur exactly once: include enough surrounding lines to make it unique.',
  readOnly: false,
  schema: z.object({
    path: z.string().min(1).describe('File path relative to /workspace'),
    old_string: z.string().min(1).describe('The exact text to replace'),
    new_string: z.string().describe('The text to put in its place'),
    replace_all: z.boolean().default(false).describe('Replace every occurrence instead of exactly one'),
  }),
  async run({ path, old_string: oldText, new_string: newText, replace_all: replaceAll }, context) {
    const file = workspacePath(path);
    const name = displayPath(file);
    const current = await readText(context, file);
    const count = occurrences(current, oldText);
    if (count === 0) throw new ToolFailure(notFoundHelp(name, current, oldText));
    if (count > 1 && !replaceAll) {
      throw new ToolFailure(`old_string occurs ${count} times in ${name} (lines ${matchLines(current, oldText).join(', ')}): include more surrounding lines so it matches once, or set replace_all`);
    }
    const updated = replaceAll ? current.split(oldText).join(newText) : current.replace(oldText, () => newText);
    await writeText(context, file, updated);
    return `edited ${name}: replaced ${count === 1 ? 'one occurrence' : `${count} occurrences`}`;
  },
});

async function readText(context: ToolContext, file: string): Promise<string> {
  const name = displayPath(file);
  const result = await runScript(
    context,
    `[ -f "$P" ] || { echo "no such file: $R (use write_file to create it)" >&2; exit 3; }
size=$(wc -c < "$P"); [ "$size" -le ${maxEditBytes} ] || { echo "$R is $size bytes: too large for edit_file, use write_file or run" >&2; exit 3; }
base64 -w0 < "$P"`,
    { vars: { P: file, R: name }, maxOutputBytes: Math.ceil((maxEditBytes * 4) / 3) + 1024 },
  );
  if (result.exitCode !== 0) throw new ToolFailure(result.output.trim());
  const bytes = Buffer.from(result.output.trim(), 'base64');
  if (bytes.includes(0)) throw new ToolFailure(`${name} is a binary file: edit_file works on text`);
  return bytes.toString('utf8');
}

async function writeText(context: ToolContext, file: string, content: string): Promise<void> {
  const result = await runScript(context, 'mkdir -p -- "$(dirname -- "$P")" && cat > "$P"', { vars: { P: file }, stdin: content });
  if (result.exitCode !== 0) throw new ToolFailure(`could not write ${displayPath(file)}: ${result.output.trim()}`);
}

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count += 1;
  return count;
}

function matchLines(text: string, part: string): number[] {
  const lines: number[] = [];
  for (let at = text.indexOf(part); at !== -1 && lines.length < 10; at = text.indexOf(part, at + part.length)) {
    lines.push(text.slice(0, at).split('\n').length);
  }
  return lines;
}

/** Why an edit found nothing, with the nearest hint we can give cheaply. */
function notFoundHelp(name: string, text: string, oldText: string): string {
  const base = `old_string was not found in ${name}`;
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (squash(text).includes(squash(oldText))) {
    return `${base}: it matches only if whitespace is ignored. Read the lines again with read_file and copy the indentation and line breaks exactly`;
  }
  if (/^\s*\d+\t/m.test(oldText)) return `${base}: it seems to include read_file's line numbers; leave them out`;
  const firstLine = oldText.split('\n').find((l) => l.trim() !== '')?.trim();
  if (firstLine) {
    const at = text.split('\n').findIndex((l) => l.includes(firstLine));
    if (at !== -1) return `${base}; its first line appears at line ${at + 1}, but what follows differs: read_file around it and copy the text exactly`;
  }
  return `${base}; read_file the region you want to change and copy the text exactly`;
}

function countLines(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}
