import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxHandle } from '../../src/core/index.js';
import { allTools, ToolFailure, type Tool, type ToolContext } from '../../src/engine/loop/index.js';
import { recordingSpec, removeByRepo, testDocker, testSandbox, uniqueRepo } from '../support/docker.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';

const docker = testDocker();
const repoLabel = uniqueRepo('tools');
let project: TestRepo;
let handle: SandboxHandle;
let context: ToolContext;

beforeAll(async () => {
  project = makeGitRepo({
    'src/app.ts': 'export const a = 1;\nexport const b = 1;\nexport function hello() {\n  return "hi";\n}\n',
    'src/nested/deep/file.txt': 'deep\n',
    'node_modules/pkg/index.js': 'ignored\n',
    '.errand/environment.json': JSON.stringify({ terminals: [{ name: 'server', command: 'echo server listening on 8080' }] }),
  });
  handle = await testSandbox(docker).prepare(recordingSpec(project.dir, repoLabel));
  context = { sandbox: handle, signal: new AbortController().signal, env: { GREETING: 'from a secret' }, commandTimeoutMs: 2_000 };
});

afterAll(async () => {
  await removeByRepo(docker, repoLabel);
  project.remove();
});

function tool(name: string): Tool {
  const found = allTools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

/** Calls a tool as the loop does: raw JSON arguments in, text out (or the failure's message). */
async function use(name: string, args: Record<string, unknown>): Promise<{ ok: boolean; text: string }> {
  const t = tool(name);
  try {
    const returned = await t.run(t.parse(JSON.stringify(args)), context);
    return { ok: true, text: typeof returned === 'string' ? returned : returned.content };
  } catch (error) {
    if (error instanceof ToolFailure) return { ok: false, text: error.message };
    throw error;
  }
}

describe('the agent tools in a real container', () => {
  it('offers each tool to the model with a JSON schema generated from its arguments', () => {
    const edit = tool('edit_file');
    expect(edit.parameters).toMatchObject({
      type: 'object',
      properties: { path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' }, replace_all: { type: 'boolean' } },
      required: expect.arrayContaining(['path', 'old_string', 'new_string']),
    });
    expect(edit.parameters).not.toHaveProperty('$schema');
  });

  it('writes and reads back files whose names and contents would break shell quoting', async () => {
    const path = `odd dir/it's "$(touch pwned)" ; rm -rf x.txt`;
    const content = '$(touch pwned2)\n`id`\n\'single\' "double" \\ back\nno newline at end';
    expect(await use('write_file', { path, content })).toMatchObject({ ok: true });
    const read = await use('read_file', { path });
    expect(read.text).toContain('1\t$(touch pwned2)');
    expect(read.text).toContain('4\tno newline at end');
    const check = await handle.exec('ls pwned pwned2 2>&1; cat "odd dir/it\'s \\"\\$(touch pwned)\\" ; rm -rf x.txt"');
    expect(check.output).toContain('No such file');
    expect(check.output).toContain(content);
  });

  it('reads a range of lines with line numbers and says how long the file is', async () => {
    const read = await use('read_file', { path: 'src/app.ts', startLine: 2, endLine: 3 });
    expect(read.text).toBe('2\texport const b = 1;\n3\texport function hello() {\n[src/app.ts: lines 2-3 of 5]\n');
    expect(await use('read_file', { path: 'src/missing.ts' })).toEqual({ ok: false, text: expect.stringContaining('no such file: src/missing.ts') });
    expect(await use('read_file', { path: 'src' })).toEqual({ ok: false, text: 'src is a directory: use list_files' });
  });

  it('refuses paths outside /workspace', async () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'src/../../etc/passwd']) {
      expect(await use('read_file', { path })).toEqual({ ok: false, text: expect.stringContaining('outside /workspace') });
    }
  });

  it('edits exact text once, and refuses ambiguous or missing matches with a way forward', async () => {
    await use('write_file', { path: 'edit.ts', content: 'const a = 1;\nconst b = 1;\n  indented();\n' });
    expect(await use('edit_file', { path: 'edit.ts', old_string: '= 1;', new_string: '= 2;' })).toEqual({
      ok: false,
      text: expect.stringContaining('occurs 2 times in edit.ts (lines 1, 2)'),
    });
    expect(await use('edit_file', { path: 'edit.ts', old_string: 'indented();\nconst', new_string: 'x' })).toEqual({
      ok: false,
      text: expect.stringContaining('was not found in edit.ts'),
    });
    expect(await use('edit_file', { path: 'edit.ts', old_string: 'const b =  1;', new_string: 'x' })).toEqual({
      ok: false,
      text: expect.stringContaining('matches only if whitespace is ignored'),
    });
    expect(await use('edit_file', { path: 'edit.ts', old_string: 'const b = 1;', new_string: 'const b = 3;' })).toMatchObject({ ok: true });
    expect(await use('edit_file', { path: 'edit.ts', old_string: '= ', new_string: '=', replace_all: true })).toEqual({ ok: true, text: 'edited edit.ts: replaced 2 occurrences' });
    expect((await handle.exec('cat edit.ts')).output).toBe('const a =1;\nconst b =3;\n  indented();\n');
    expect(await use('edit_file', { path: 'nope.ts', old_string: 'a', new_string: 'b' })).toEqual({ ok: false, text: expect.stringContaining('no such file: nope.ts') });
  });

  it('lists files without descending into dependency folders', async () => {
    const listed = await use('list_files', { path: '.', depth: 2 });
    expect(listed.text.split('\n')).toEqual(expect.arrayContaining(['src/', 'src/app.ts', 'src/nested/', 'node_modules/ (not listed)', '.git/ (not listed)']));
    expect(listed.text).not.toContain('src/nested/deep/');
    expect((await use('list_files', { path: 'src', depth: 5 })).text).toContain('nested/deep/file.txt');
  });

  it('searches file contents and says when nothing matches', async () => {
    const found = await use('search', { pattern: 'export (const|function) [ab]', path: 'src' });
    expect(found.text.split('\n')).toEqual(['src/app.ts:1:export const a = 1;', 'src/app.ts:2:export const b = 1;']);
    expect(await use('search', { pattern: 'HELLO', ignoreCase: true, glob: '*.ts' })).toMatchObject({ ok: true, text: expect.stringContaining('app.ts:3:export function hello()') });
    expect(await use('search', { pattern: 'not-anywhere-at-all' })).toEqual({ ok: true, text: 'no matches' });
  });

  it('runs commands with the agent secrets, exit codes and a timeout', async () => {
    expect(await use('run', { command: 'echo "$GREETING"; exit 3' })).toEqual({ ok: true, text: 'exit code 3\nfrom a secret\n' });
    const slow = await use('run', { command: 'sleep 30', timeoutSeconds: 60 });
    expect(slow.text).toMatch(/^timed out after 2 s/);
  });

  it("reads the environment's terminals by name", async () => {
    const output = await use('terminal_output', { name: 'server' });
    expect(output.text).toContain('server listening on 8080');
    expect(await use('terminal_output', { name: 'db' })).toEqual({ ok: false, text: 'no terminal named db; the terminals are: server' });
  });
});
