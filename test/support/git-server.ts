import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Git as the tests' own helpers run it: no user or system config, no prompts. */
const plainEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  LANG: 'C',
  LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Test Person',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test Person',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export function git(args: string[], options: { cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd: options.cwd ?? tmpdir(), env: plainEnv, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`git ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface Trailer {
  key: string;
  value: string;
}

export interface RemoteCommit {
  sha: string;
  subject: string;
  /** The whole message, trailers included. */
  message: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  trailers: Trailer[];
}

export interface RecordedGitRequest {
  method: string;
  path: string;
  repo: string;
  service: string | null;
  auth: 'basic' | 'bearer' | null;
  status: number;
}

export interface CreateRepoOptions {
  defaultBranch?: string;
  /** Tokens accepted for this repository (more can be added with `allowToken`). */
  tokens?: string[];
}

/**
 * A smart-HTTP git server on 127.0.0.1: `git http-backend` (CGI) behind node:http, serving bare
 * repositories named like GitHub's (`owner/name` at `/owner/name.git`). Every request needs a
 * token the repository accepts (Basic password or Bearer), else 401, so a passing clone proves
 * the token was sent.
 */
export class GitServer {
  readonly requests: RecordedGitRequest[] = [];
  private readonly tokens = new Map<string, Set<string>>();
  private server: Server | null = null;
  private port = 0;

  private constructor(readonly root: string) {}

  static async start(): Promise<GitServer> {
    const server = new GitServer(await mkdtemp(join(tmpdir(), 'errand-git-server-')));
    await server.listen();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  repoUrl(name: string): string {
    return `${this.url}/${name}.git`;
  }

  bareDir(name: string): string {
    return join(this.root, `${name}.git`);
  }

  allowToken(name: string, token: string): void {
    const set = this.tokens.get(name) ?? new Set<string>();
    set.add(token);
    this.tokens.set(name, set);
  }

  revokeToken(name: string, token: string): void {
    this.tokens.get(name)?.delete(token);
  }

  /** A bare repository with one commit holding `files`, on `defaultBranch` (main). */
  async createRepo(name: string, files: Record<string, string>, options: CreateRepoOptions = {}): Promise<string> {
    const branch = options.defaultBranch ?? 'main';
    const bare = this.bareDir(name);
    await mkdir(dirname(bare), { recursive: true });
    await git(['init', '-q', '--bare', '-b', branch, bare]);
    for (const token of options.tokens ?? []) this.allowToken(name, token);
    await this.commitFiles(name, branch, files, 'Initial commit');
    return this.repoUrl(name);
  }

  /** Someone else pushes a commit to `branch` (created from the default branch if new). */
  async commitFiles(name: string, branch: string, files: Record<string, string>, message: string): Promise<string> {
    const work = await mkdtemp(join(tmpdir(), 'errand-git-work-'));
    try {
      await git(['init', '-q', '-b', branch, work]);
      const bare = this.bareDir(name);
      const exists = (await git(['for-each-ref', '--format=%(refname)', `refs/heads/${branch}`], { cwd: bare })).trim() !== '';
      const head = (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: bare })).trim();
      const start = exists ? branch : head;
      const hasStart = (await git(['for-each-ref', '--format=%(refname)', `refs/heads/${start}`], { cwd: bare })).trim() !== '';
      if (hasStart) {
        await git(['fetch', '-q', bare, `refs/heads/${start}:refs/remotes/base/${start}`], { cwd: work });
        await git(['reset', '-q', '--hard', `refs/remotes/base/${start}`], { cwd: work });
      }
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), content);
      }
      await git(['add', '-A'], { cwd: work });
      await git(['commit', '-q', '--allow-empty', '-m', message], { cwd: work });
      await git(['push', '-q', bare, `HEAD:refs/heads/${branch}`], { cwd: work });
      return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async branches(name: string): Promise<string[]> {
    const out = await git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'], { cwd: this.bareDir(name) });
    return out.split('\n').filter(Boolean).sort();
  }

  /** Commits on `branch`, newest first. */
  async log(name: string, branch: string): Promise<RemoteCommit[]> {
    const format = ['%H', '%an', '%ae', '%cn', '%ce', '%s', '%B', '%(trailers:only,unfold)'].join('%x1f') + '%x1e';
    const out = await git(['log', `--format=${format}`, `refs/heads/${branch}`, '--'], { cwd: this.bareDir(name) });
    return out
      .split('\x1e')
      .map((r) => r.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [sha = '', an = '', ae = '', cn = '', ce = '', subject = '', message = '', trailers = ''] = record.split('\x1f');
        return {
          sha,
          subject,
          message: message.trim(),
          author: { name: an, email: ae },
          committer: { name: cn, email: ce },
          trailers: trailers
            .split('\n')
            .filter((l) => l.includes(':'))
            .map((l) => ({ key: l.slice(0, l.indexOf(':')).trim(), value: l.slice(l.indexOf(':') + 1).trim() })),
        };
      });
  }

  async lastCommit(name: string, branch: string): Promise<RemoteCommit> {
    const [commit] = await this.log(name, branch);
    if (!commit) throw new Error(`${name} has no commits on ${branch}`);
    return commit;
  }

  /** A file's content on `branch`, or null if it is not there. */
  async readFile(name: string, branch: string, path: string): Promise<string | null> {
    try {
      return await git(['show', `refs/heads/${branch}:${path}`], { cwd: this.bareDir(name) });
    } catch {
      return null;
    }
  }

  /** Successful pushes the server took into `name` (receive-pack requests answered 200). */
  pushes(name: string): number {
    return this.requests.filter((r) => r.repo === name && r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.status === 200).length;
  }

  /** Every object in the repository, uncompressed, for "the token is nowhere" checks. */
  async allObjects(name: string): Promise<string> {
    return git(['cat-file', '--batch-all-objects', '--batch'], { cwd: this.bareDir(name) });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await rm(this.root, { recursive: true, force: true });
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const match = /^\/(.+?)\.git(\/.*)$/.exec(url.pathname);
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ');
    const auth = /^basic$/i.test(scheme ?? '') ? 'basic' : /^bearer$/i.test(scheme ?? '') ? 'bearer' : null;
    const token = auth === 'basic' ? Buffer.from(value, 'base64').toString().split(':').slice(1).join(':') : auth === 'bearer' ? value : '';
    const repo = match?.[1] ?? '';
    const record = (status: number) =>
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, repo, service: url.searchParams.get('service'), auth, status });
    if (!match) {
      record(404);
      res.writeHead(404).end('not a repository path');
      return;
    }
    if (!token || !this.tokens.get(repo)?.has(token)) {
      record(401);
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="errand-test-git"', 'Content-Type': 'text/plain' }).end('authentication required');
      return;
    }
    const backend = spawn('git', ['http-backend'], {
      env: {
        ...plainEnv,
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'errand-test',
        REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(backend.stdin);
    let head = Buffer.alloc(0);
    let sentHeaders = false;
    backend.stdout.on('data', (chunk: Buffer) => {
      if (sentHeaders) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const val = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(val, 10);
        else headers[key] = val;
      }
      record(status);
      res.writeHead(status, headers);
      sentHeaders = true;
      res.write(head.subarray(end + 4));
    });
    backend.on('close', () => {
      if (!sentHeaders) {
        record(500);
        res.writeHead(500).end('git http-backend failed');
      } else {
        res.end();
      }
    });
    backend.stderr.resume();
  }
}

/**
 * One git server for the test file and a fresh scratch directory for each test (removed after it).
 * Read `server` and `work` inside tests: they are set by the hooks this registers.
 */
export function gitTestBed(scratchPrefix: string): { readonly server: GitServer; readonly work: string } {
  let server: GitServer | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    server = await GitServer.start();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), scratchPrefix));
  });
  afterEach(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) throw new Error('the git server is only there while the tests run');
      return server;
    },
    get work() {
      if (!work) throw new Error('the scratch directory is only there while a test runs');
      return work;
    },
  };
}
