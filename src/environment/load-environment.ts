import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { ErrandError } from '../core/errors.js';
import { EnvironmentFile, environmentFileCandidates, knownEnvironmentKeys } from './environment-file.js';
import { readDependencies, readPorts, type EnvironmentPort } from './loose-keys.js';

export interface EnvironmentTerminal {
  name: string;
  command: string;
  description?: string;
}

export interface EnvironmentBuild {
  /** Absolute path on the host; may not exist (the build then fails with a fix-it message). */
  dockerfile: string;
  /** Absolute path on the host, inside the repository. */
  context: string;
}

/** An environment file made ready to use: paths resolved, defaults filled, problems listed. */
export interface Environment {
  /** Repository-relative path of the file read, or null when the repo has none (defaults). */
  source: string | null;
  /** True when the text came from Errand's settings for the repository, not from the checkout. */
  fromSettings?: true;
  /** The file as written, unknown keys included. */
  file: EnvironmentFile;
  /** sha256 of the file's text ('' without a file): part of the snapshot key. */
  fileHash: string;
  /** The user commands run as; null means the sandbox's default unprivileged user. */
  user: string | null;
  install: string | null;
  start: string | null;
  terminals: EnvironmentTerminal[];
  build: EnvironmentBuild | null;
  /** An image reference to start from, when present locally or pullable. */
  snapshot: string | null;
  /** `ports`, whatever shape the file used: listed, not forwarded. */
  ports: EnvironmentPort[];
  /** `repositoryDependencies`: repository references cloned next to /workspace. */
  dependencies: string[];
  /** Things in the file Errand ignores or had to guess; never fatal. */
  warnings: string[];
}

export function defaultEnvironment(): Environment {
  return { source: null, file: {}, fileHash: '', user: null, install: null, start: null, terminals: [], build: null, snapshot: null, ports: [], dependencies: [], warnings: [] };
}

/**
 * Finds and reads the repository's environment file: `.errand/environment.json`, then
 * `.cursor/environment.json`; none means defaults. JSON with comments and trailing commas is fine.
 * A file that cannot be used throws one `environment_invalid` error naming the file, field and fix.
 */
export function loadEnvironment(repoDir: string): Environment {
  const root = resolve(repoDir);
  const found = environmentFileCandidates.filter((candidate) => existsSync(join(root, candidate)));
  const source = found[0];
  if (source === undefined) return defaultEnvironment();
  const warnings: string[] = [];
  if (found.length > 1) warnings.push(`${found.slice(1).join(', ')} ignored: ${source} takes precedence`);
  const text = readFileSync(join(root, source), 'utf8');
  return parseEnvironment(root, source, text, warnings);
}

/** Where an environment kept in Errand's settings is read as if it were, for its relative paths. */
export const settingsEnvironmentSource = '.errand/environment.json';

/**
 * The repository's own environment file when it has one, else the text kept in Errand's settings
 * for the repository (read as if it were `.errand/environment.json`), else defaults.
 */
export function environmentOf(repoDir: string, settingsText?: string): Environment {
  const own = loadEnvironment(repoDir);
  if (own.source !== null || settingsText === undefined || settingsText.trim() === '') return own;
  return { ...parseEnvironment(repoDir, settingsEnvironmentSource, settingsText), fromSettings: true };
}

/** Parses an environment file's text as if it were at `source` inside `repoDir`. */
export function parseEnvironment(repoDir: string, source: string, text: string, warnings: string[] = []): Environment {
  const root = resolve(repoDir);
  const errors: ParseError[] = [];
  const raw: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const { line, column } = position(text, first.offset);
    throw invalid(source, `is not valid JSON: ${printParseErrorCode(first.error)} at line ${line}, column ${column}`, 'fix the syntax (comments and trailing commas are allowed)');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(source, 'must hold one JSON object', 'write an object such as { "install": "npm ci" }');
  }
  const result = EnvironmentFile.safeParse(raw);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `field "${fieldPath(issue.path)}": ${issue.message}`);
    throw invalid(source, fields.join('; '), 'give each field the type Cursor documents (install/start/user/snapshot are strings, terminals is a list of { name, command }, build is { dockerfile, context })');
  }
  const file = result.data;
  warnings.push(...unknownKeys(file));

  const fileDir = dirname(join(root, source));
  const terminals: EnvironmentTerminal[] = [];
  const names = new Set<string>();
  (file.terminals ?? []).forEach((terminal, index) => {
    const command = terminal.command?.trim();
    if (!command) {
      warnings.push(`terminals[${index}] has no command and is skipped`);
      return;
    }
    let name = terminal.name?.trim() || `terminal-${index + 1}`;
    while (names.has(name)) name = `${name}-${index + 1}`;
    names.add(name);
    terminals.push({ name, command, ...(terminal.description ? { description: terminal.description } : {}) });
  });

  return {
    source,
    file,
    fileHash: createHash('sha256').update(text).digest('hex'),
    user: file.user?.trim() || null,
    install: file.install?.trim() || null,
    start: file.start?.trim() || null,
    terminals,
    build: file.build ? resolveBuild(root, source, fileDir, file.build.dockerfile ?? 'Dockerfile', file.build.context ?? '.', warnings) : null,
    snapshot: file.snapshot?.trim() || null,
    ports: readPorts(file.ports, warnings),
    ...(file.persistedDirectories === undefined ? {} : persisted(warnings)),
    dependencies: readDependencies(file.repositoryDependencies, warnings),
    warnings,
  };
}

/**
 * Both paths are relative to the environment file's folder (`.` is that folder, `..` its parent).
 * Some files name the Dockerfile relative to the context instead, as `docker build -f` would; when
 * only that reading finds a file, it is used with a warning.
 */
function resolveBuild(root: string, source: string, fileDir: string, dockerfile: string, context: string, warnings: string[]): EnvironmentBuild {
  const contextPath = inside(root, source, 'build.context', resolve(fileDir, context));
  let dockerfilePath = inside(root, source, 'build.dockerfile', resolve(fileDir, dockerfile));
  if (!existsSync(dockerfilePath)) {
    const fromContext = resolve(contextPath, dockerfile);
    if (fromContext !== dockerfilePath && existsSync(fromContext)) {
      dockerfilePath = inside(root, source, 'build.dockerfile', fromContext);
      warnings.push(`build.dockerfile "${dockerfile}" is read relative to build.context (${relative(root, contextPath) || '.'}), not to ${dirname(source)}/`);
    }
  }
  return { dockerfile: dockerfilePath, context: contextPath };
}

/** A path the file names must stay inside the repository, also after following symlinks. */
function inside(root: string, source: string, field: string, path: string): string {
  const real = existsSync(path) ? realpathSync(path) : path;
  const realRoot = realpathSync(root);
  for (const [base, candidate] of [[root, path], [realRoot, real]] as const) {
    const rel = relative(base, candidate);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw invalid(source, `field "${field}" points outside the repository (${path})`, `use a path inside the repository, relative to ${dirname(source)}/ ("." is that folder, ".." the repository root)`);
    }
  }
  return path;
}

function unknownKeys(file: EnvironmentFile): string[] {
  const warnings: string[] = [];
  for (const key of Object.keys(file)) {
    if (!knownEnvironmentKeys.has(key)) warnings.push(`unknown key "${key}" is kept but not used by Errand`);
  }
  const nested: [string, Record<string, unknown>[], string[]][] = [
    ['terminals', file.terminals ?? [], ['name', 'command', 'description']],
    ['build', file.build ? [file.build] : [], ['dockerfile', 'context']],
  ];
  for (const [field, items, known] of nested) {
    items.forEach((item, index) => {
      for (const key of Object.keys(item)) {
        if (!known.includes(key)) warnings.push(`unknown key "${field}${field === 'build' ? '' : `[${index}]`}.${key}" is kept but not used by Errand`);
      }
    });
  }
  return warnings;
}

function persisted(warnings: string[]): Record<string, never> {
  warnings.push('persistedDirectories is kept but not needed: an agent keeps its whole machine (stopped) between runs');
  return {};
}

function invalid(source: string, problem: string, fix: string): ErrandError {
  return new ErrandError('environment_invalid', `${source} ${problem}; fix: ${fix}`);
}

function fieldPath(path: z.core.$ZodIssue['path']): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('') || '(root)';
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}
