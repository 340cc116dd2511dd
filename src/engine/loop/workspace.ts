import { posix } from 'node:path';
import type { ExecResult } from '../../core/index.js';
import { ToolFailure, type ToolContext } from './tool.js';

export const workspaceRoot = '/workspace';

/**
 * A path the model gave, as an absolute path inside /workspace. Relative paths are relative to
 * /workspace; anything that leaves it (`..`, another absolute path) is refused.
 */
export function workspacePath(path: string): string {
  if (path.includes('\0')) throw new ToolFailure('the path contains a NUL byte');
  const absolute = posix.resolve(workspaceRoot, path.trim() === '' ? '.' : path.trim());
  if (absolute !== workspaceRoot && !absolute.startsWith(`${workspaceRoot}/`)) {
    throw new ToolFailure(`${path} is outside /workspace: give a path inside the repository, e.g. src/index.ts`);
  }
  return absolute;
}

/** The path as the model should read it back: relative to /workspace. */
export function displayPath(absolute: string): string {
  return absolute === workspaceRoot ? '.' : absolute.slice(workspaceRoot.length + 1);
}

export interface ScriptOptions {
  /** Values the script reads as variables: paths and patterns never go through shell quoting. */
  vars?: Record<string, string>;
  stdin?: string;
  maxOutputBytes?: number;
  timeoutMs?: number;
}

/**
 * Runs one of the tools' own fixed scripts in the container. Everything the model chose (paths,
 * patterns, file contents) arrives as environment variables or stdin, never spliced into the
 * script text, so no quoting bug can turn a file name into a command.
 */
export async function runScript(context: ToolContext, script: string, options: ScriptOptions = {}): Promise<ExecResult> {
  const result = await context.sandbox.exec(script, {
    env: options.vars ?? {},
    signal: context.signal,
    timeoutMs: options.timeoutMs ?? 60_000,
    maxOutputBytes: options.maxOutputBytes ?? 256 * 1024,
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
  });
  if (result.aborted) throw new ToolFailure('the command was stopped');
  if (result.timedOut) throw new ToolFailure('the command timed out');
  return result;
}
