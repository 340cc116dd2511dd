import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { ErrandError } from '../core/errors.js';

/** A token for one git command; it travels in the environment as an HTTP header, nowhere else. */
export interface GitCredentials {
  token: string;
  /** Basic-auth user name; GitHub wants `x-access-token` for installation tokens. */
  username?: string;
}

export interface GitRunOptions {
  /** The repository (`--git-dir`): always the host-owned one, never a directory the agent wrote. */
  gitDir?: string;
  /** The working tree (`--work-tree`) that goes with `gitDir`. */
  workTree?: string;
  cwd?: string;
  credentials?: GitCredentials | null;
  /** Extra environment (author identity); never credentials. */
  env?: Record<string, string>;
  input?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okExitCodes?: number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Command-scope configuration added to every git command. Command scope beats the repository's
 * own `.git/config`, and with GIT_CONFIG_NOSYSTEM / GIT_CONFIG_GLOBAL=/dev/null no other file is
 * read, so none of git's ways to run a program can be switched on from outside this list.
 */
export const hardenedConfig: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.attributesFile', '/dev/null'],
  ['core.excludesFile', '/dev/null'],
  ['credential.helper', ''],
  ['protocol.allow', 'never'],
  ['protocol.https.allow', 'always'],
  ['protocol.http.allow', 'always'],
  ['protocol.file.allow', 'always'],
  ['submodule.recurse', 'false'],
  ['fetch.recurseSubmodules', 'false'],
  ['push.recurseSubmodules', 'no'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['advice.detachedHead', 'false'],
  ['init.defaultBranch', 'main'],
];

/** Environment variables passed through from the host: locating git, proxies and CA bundles. */
const passThrough = [
  'PATH', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
  'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
];

const maxBuffer = 64 * 1024 * 1024;

export function basicAuthHeader(credentials: GitCredentials): string {
  const pair = `${credentials.username ?? 'x-access-token'}:${credentials.token}`;
  return `Authorization: Basic ${Buffer.from(pair).toString('base64')}`;
}

/** The secret forms of a credential as they could show up in output: the token and its header value. */
function secretForms(credentials: GitCredentials | null | undefined): string[] {
  if (!credentials) return [];
  const header = basicAuthHeader(credentials);
  return [credentials.token, header.slice('Authorization: Basic '.length)].filter((s) => s.length > 0);
}

export function scrubSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The environment of every git command: nothing inherited from the host's GIT_* variables (no
 * GIT_DIR, no GIT_TRACE_CURL that would print headers), no system or global config, no prompts.
 * The token goes in as GIT_CONFIG_KEY/VALUE, so it shows in no process list and in no file.
 */
export function gitEnv(credentials?: GitCredentials | null, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of passThrough) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  Object.assign(env, {
    HOME: tmpdir(),
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
  });
  for (const [key, value] of Object.entries(extra)) {
    if (key.startsWith('GIT_CONFIG')) throw new Error(`git runner: ${key} is reserved`);
    env[key] = value;
  }
  const config: [string, string][] = [];
  if (credentials) {
    config.push(['http.extraHeader', basicAuthHeader(credentials)]);
    config.push(['http.followRedirects', 'false']);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

export function gitArgs(args: string[], options: Pick<GitRunOptions, 'gitDir' | 'workTree'> = {}): string[] {
  const out: string[] = [];
  for (const [key, value] of hardenedConfig) out.push('-c', `${key}=${value}`);
  if (options.gitDir) out.push(`--git-dir=${options.gitDir}`);
  if (options.workTree) out.push(`--work-tree=${options.workTree}`);
  return [...out, ...args];
}

/** The first argument that names the git subcommand, for error messages. */
function subcommand(args: string[]): string {
  return args.find((a) => !a.startsWith('-')) ?? 'git';
}

/**
 * Runs the host's git binary (no shell) with the hardened config and environment. Fails with
 * `git_failed` carrying git's own message with every form of the token removed, or `aborted`.
 */
export function runGit(args: string[], options: GitRunOptions = {}): Promise<GitResult> {
  const secrets = secretForms(options.credentials);
  const argv = gitArgs(args, options);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      argv,
      {
        cwd: options.cwd ?? options.workTree ?? tmpdir(),
        env: gitEnv(options.credentials, options.env),
        maxBuffer,
        timeout: options.timeoutMs ?? 10 * 60_000,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, exitCode: 0 });
        const exitCode = typeof error.code === 'number' ? error.code : -1;
        if (options.okExitCodes?.includes(exitCode)) return resolve({ stdout, stderr, exitCode });
        if (options.signal?.aborted) return reject(new ErrandError('aborted', `git ${subcommand(args)} was aborted`));
        const detail = scrubSecrets(stderr.trim() || error.message, secrets).split('\n').slice(-20).join('\n');
        reject(new ErrandError('git_failed', `git ${subcommand(args)} failed (exit ${exitCode}): ${detail}`));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
