import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { ApiAgentView, ApiClient, type StreamedEvent } from './api-client.js';
import { resolveServer, saveCredentials } from './credentials.js';
import { printLoginLink } from './login-link.js';
import { readSecretValue, type SecretInput } from './read-secret.js';
import { activityOf, elapsed, renderDetails, renderEvent, renderOutcome, renderTable } from './render.js';

export interface AgentCliDeps {
  env: NodeJS.ProcessEnv;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  stdin: SecretInput;
  fetch?: typeof fetch;
  /**
   * `errand attach <id>`: opens the agent's tmux session in its container. Provided by the sandbox
   * (src/sandbox/docker/attach.ts) and wired in src/cli/main.ts; resolves to the exit code.
   */
  attach?: (agentId: string) => Promise<number>;
  /** Ctrl-C: resolves a registration, returns the unregister function (process.once('SIGINT') by default). */
  onInterrupt?: (handler: () => void) => () => void;
}

export interface RunOptions {
  repo?: string;
  branch?: string;
  model?: string;
  mode?: 'agent' | 'ask' | 'plan';
  targetBranch?: string;
  pr?: boolean;
  detach?: boolean;
  verbose?: boolean;
}

function clientOf(deps: AgentCliDeps): ApiClient {
  const server = resolveServer(deps.env);
  return new ApiClient({ ...server, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
}

/** The live status line on a TTY; plain lines otherwise. */
class Progress {
  private status = 'CREATING';
  private activity = '';
  private timer: NodeJS.Timeout | null = null;
  private frame = 0;
  private readonly started = Date.now();

  constructor(private readonly out: AgentCliDeps['stdout']) {
    if (out.isTTY) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  line(text: string): void {
    if (this.out.isTTY) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
    this.draw();
  }

  update(event: StreamedEvent): void {
    if (event.event === 'status') this.status = String(event.data['apiStatus'] ?? event.data['status'] ?? this.status);
    this.activity = activityOf(event) ?? this.activity;
    this.draw();
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY) this.out.write('\r\x1b[2K');
  }

  private draw(): void {
    if (!this.out.isTTY) return;
    const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[this.frame++ % 10];
    const text = `${spinner} ${this.status} ${elapsed(Date.now() - this.started)}${this.activity ? ` · ${this.activity}` : ''}`;
    this.out.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.out.columns ?? 80) - 1))}`);
  }
}

/** `errand run`: launches, streams progress, prints the summary; 0 when it finished, 1 otherwise. */
export async function runAgent(deps: AgentCliDeps, prompt: string, options: RunOptions): Promise<number> {
  const client = clientOf(deps);
  const body = {
    prompt: { text: prompt },
    ...(options.repo ? { source: { repository: options.repo, ...(options.branch ? { ref: options.branch } : {}) } } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.targetBranch || options.pr !== undefined
      ? { target: { ...(options.targetBranch ? { branchName: options.targetBranch } : {}), ...(options.pr !== undefined ? { autoCreatePr: options.pr } : {}) } }
      : {}),
  };
  const launched = ApiAgentView.parse(await client.request('POST', '/v0/agents', body));
  const out = deps.stdout;
  out.write(`Launched ${launched.id}: ${launched.name}\n`);
  out.write(`  ${[launched.source?.repository, launched.target?.branchName ? `branch ${launched.target.branchName}` : null, launched.model].filter(Boolean).join(' · ')}\n`);
  if (options.detach) {
    out.write(`Follow it with: errand logs -f ${launched.id}\n`);
    return 0;
  }

  const controller = new AbortController();
  const unregister = (deps.onInterrupt ?? ((h) => (process.once('SIGINT', h), () => process.off('SIGINT', h))))(() => controller.abort());
  const progress = new Progress(out);
  try {
    for await (const event of client.events(launched.id, { follow: 'settled', signal: controller.signal })) {
      if (event.event === 'end') break;
      progress.update(event);
      const text = renderEvent(event, options.verbose ?? false);
      if (text) progress.line(text);
    }
  } finally {
    progress.done();
    unregister();
  }
  if (controller.signal.aborted) {
    out.write(`\nDetached; ${launched.id} keeps running. Follow: errand logs -f ${launched.id} · stop: errand stop ${launched.id}\n`);
    return 130;
  }
  const final = await client.agent(launched.id);
  out.write(`\n${renderOutcome(final)}\n`);
  return final.status === 'FINISHED' ? 0 : 1;
}

export async function listAgents(deps: AgentCliDeps, options: { status?: string; repo?: string; query?: string; limit?: string; json?: boolean }): Promise<void> {
  const params = new URLSearchParams();
  if (options.status) params.set('status', options.status);
  if (options.repo) params.set('repo', options.repo);
  if (options.query) params.set('q', options.query);
  params.set('limit', options.limit ?? '20');
  const page = await clientOf(deps).request<{ agents: unknown[]; nextCursor?: string }>('GET', `/v0/agents?${params}`);
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return;
  }
  deps.stdout.write(`${renderTable(page.agents.map((a) => ApiAgentView.parse(a)))}\n`);
}

export async function showAgent(deps: AgentCliDeps, id: string, options: { json?: boolean }): Promise<void> {
  const client = clientOf(deps);
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(await client.request('GET', `/v0/agents/${encodeURIComponent(id)}`), null, 2)}\n`);
    return;
  }
  deps.stdout.write(`${renderDetails(await client.agent(id))}\n`);
}

/** `errand logs [-f] <id>`: everything so far; with -f, live until the agent settles. */
export async function showLogs(deps: AgentCliDeps, id: string, options: { follow?: boolean }): Promise<void> {
  const controller = new AbortController();
  const unregister = (deps.onInterrupt ?? ((h) => (process.once('SIGINT', h), () => process.off('SIGINT', h))))(() => controller.abort());
  try {
    for await (const event of clientOf(deps).events(id, { follow: options.follow ? 'settled' : 'never', signal: controller.signal })) {
      if (event.event === 'end') break;
      const text = renderEvent(event, true);
      const at = typeof event.data['at'] === 'string' ? event.data['at'].slice(11, 19) : '';
      if (text) deps.stdout.write(`${at ? `${at} ` : ''}${text}\n`);
    }
  } finally {
    unregister();
  }
}

export async function followUp(deps: AgentCliDeps, id: string, text: string): Promise<void> {
  const result = await clientOf(deps).request<{ resumed: boolean; position: number; status: string }>('POST', `/v0/agents/${encodeURIComponent(id)}/followup`, { prompt: { text } });
  deps.stdout.write(result.resumed ? `${id} resumes with your follow-up\n` : `sent; ${id} reads it before its next step (${result.position} waiting)\n`);
}

/** `errand snapshot <id>`: the agent's machine becomes its repository's snapshot in this workspace. */
export async function snapshotAgent(deps: AgentCliDeps, id: string): Promise<void> {
  const result = await clientOf(deps).request<{ repository: string; snapshot: string }>('POST', `/v0/agents/${encodeURIComponent(id)}/snapshot`);
  deps.stdout.write(`saved ${id}'s machine as the snapshot for ${result.repository} (${result.snapshot}); new agents for it in this workspace start from it\n`);
}

export async function stopAgent(deps: AgentCliDeps, id: string): Promise<void> {
  const result = await clientOf(deps).request<{ status: string }>('POST', `/v0/agents/${encodeURIComponent(id)}/stop`);
  deps.stdout.write(result.status === 'STOPPED' ? `${id} stopped\n` : `asked ${id} to stop (it pushes what it has, then stops)\n`);
}

/** `errand login`: the key from stdin or a hidden prompt, checked against the server, saved 0600. */
export async function login(deps: AgentCliDeps, options: { url?: string }): Promise<void> {
  const url = (options.url ?? resolveServer(deps.env).url).replace(/\/+$/, '');
  const apiKey = (await readSecretValue(deps.stdin, deps.stderr, 'your Errand API key')).trim();
  const me = await new ApiClient({ url, apiKey, ...(deps.fetch ? { fetch: deps.fetch } : {}) }).request<{ apiKeyName: string; workspace: string }>('GET', '/v0/me');
  const path = saveCredentials({ url, apiKey }, deps.env);
  deps.stdout.write(`logged in to ${url} as ${me.apiKeyName} (workspace ${me.workspace}); saved to ${path}\n`);
}

/** Adds the API client commands to the program. Each action sets process.exitCode; errors propagate. */
export function registerAgentCommands(program: Command, deps: AgentCliDeps): void {
  program
    .command('run')
    .description('start an agent and follow it until it is done (exit 0 when it finished)')
    .argument('<prompt...>', 'what the agent should do')
    .option('-r, --repo <repo>', 'owner/name, an https git URL or an absolute path')
    .option('-b, --branch <branch>', 'base branch (default: the repository default)')
    .option('-m, --model <model>', 'provider:model (see GET /v0/models)')
    .addOption(new Option('--mode <mode>', 'agent edits and pushes; ask only answers; plan writes a plan and changes nothing').choices(['agent', 'ask', 'plan']))
    .option('--target-branch <name>', "the agent's own branch name")
    .option('--no-pr', 'push the branch but do not open a pull request')
    .option('-d, --detach', 'launch and return at once')
    .option('-v, --verbose', 'show command output and tool results too')
    .action(async (words: string[], options: RunOptions & { pr: boolean }) => {
      // Commander defaults --no-pr's flag to true; only an explicit --no-pr is sent (else the server decides).
      const { pr, ...rest } = options;
      process.exitCode = await runAgent(deps, words.join(' '), { ...rest, ...(pr === false ? { pr: false } : {}) });
    });
  program
    .command('list')
    .alias('ls')
    .description('your agents, newest first (admins: the workspace)')
    .option('-s, --status <status>', 'e.g. RUNNING or FINISHED,ERROR')
    .option('-r, --repo <repo>', 'only this repository')
    .option('-q, --query <text>', 'text in the title, prompt, repo or branch')
    .option('-n, --limit <n>', 'how many (max 100)', '20')
    .option('--json', 'print JSON')
    .action((options: { status?: string; repo?: string; query?: string; limit?: string; json?: boolean }) => listAgents(deps, options));
  program
    .command('show')
    .description("an agent's status, branch, PR and summary")
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) => showAgent(deps, id, options));
  program
    .command('logs')
    .description("an agent's events; -f follows until it is done")
    .argument('<id>')
    .option('-f, --follow', 'keep streaming until the agent settles')
    .action((id: string, options: { follow?: boolean }) => showLogs(deps, id, options));
  program
    .command('follow-up')
    .description('send the agent more instructions (resumes it if it is done)')
    .argument('<id>')
    .argument('<text...>')
    .action((id: string, words: string[]) => followUp(deps, id, words.join(' ')));
  program.command('stop').description('stop an agent (it pushes what it has)').argument('<id>').action((id: string) => stopAgent(deps, id));
  program
    .command('snapshot')
    .description("save an agent's machine as its repository's snapshot: new agents for the repository start from it")
    .argument('<id>')
    .action((id: string) => snapshotAgent(deps, id));
  program
    .command('attach')
    .description("take over an agent's machine: opens its tmux session here (detach with Ctrl-b d)")
    .argument('<id>')
    .action(async (id: string) => {
      if (!deps.attach) {
        deps.stderr.write('attach is not available in this build: run it on the host where the agent\'s container runs\n');
        process.exitCode = 1;
        return;
      }
      process.exitCode = await deps.attach(id);
    });
  program
    .command('login')
    .description('save a server URL and API key to ~/.config/errand/credentials (the key is read from stdin or a hidden prompt)')
    .option('--url <url>', 'the Errand server (default: ERRAND_URL or http://127.0.0.1:3000)')
    .option('--link', 'instead, print a one-time link that signs a browser into the dashboard with the saved key')
    .action(async (options: { url?: string; link?: boolean }) => {
      if (options.link) await printLoginLink(deps, options.url ? { url: options.url } : {});
      else await login(deps, options);
    });
}
