import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import { isErrandError, principalKey, terminalAccess, type Agent, type MachineTerminal, type MachineTerminals, type TerminalAccess } from '../../core/index.js';
import { sessionHash } from '../../store/redis/terminal-tickets.js';
import { keyById, viewerOf, type Viewer } from './auth.js';
import type { DashboardContext } from './context.js';
import { terminalCloseCodes } from './live-terminals.js';

/** Output waiting for a slow page beyond this closes its terminal (it can reconnect). */
const maxBufferedBytes = 8 * 1024 * 1024;
/** Keystrokes typed while the machine starts are kept (up to this) and sent once its terminal opens. */
const maxPendingInputBytes = 64 * 1024;
const socketPath = /^\/agents\/(ag_[a-z0-9]{12})\/terminal\/socket$/;

/** What the page sends as text frames; keystrokes come as binary frames. */
const TerminalControl = z.object({ type: z.literal('resize'), cols: z.number().int().min(2).max(500), rows: z.number().int().min(1).max(300) });
type TerminalControl = z.infer<typeof TerminalControl>;

class Refusal extends Error {
  constructor(
    readonly status: 401 | 403 | 404 | 410,
    message: string,
  ) {
    super(message);
  }
}

const statusText: Record<Refusal['status'], string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 410: 'Gone' };

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** The only origin a terminal may be opened from: ERRAND_PUBLIC_URL's, or (without one) the address the request came to. */
function expectedOrigin(ctx: DashboardContext, req: IncomingMessage): string {
  return ctx.publicUrl ? new URL(ctx.publicUrl).origin : `http://${req.headers.host ?? ''}`;
}

function size(value: string | null, fallback: number, max: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}

/**
 * The web terminal's WebSocket (`/agents/:id/terminal/socket?ticket=…`). The upgrade is refused
 * unless the Origin is the server's own, the session cookie is live, the one-time ticket was issued
 * to that session for that agent, and the person may still type in or watch the agent's machine.
 * Then bytes flow both ways between the page and a tmux client in the machine; a watcher's input
 * is dropped here. Access is checked again every `recheckMs`; signing out closes at once.
 */
export function terminalSocket(ctx: DashboardContext, terminals: MachineTerminals): (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  const authorise = async (req: IncomingMessage, agentId: string, url: URL): Promise<{ viewer: Viewer; agent: Agent; access: TerminalAccess }> => {
    if (req.headers.origin !== expectedOrigin(ctx, req)) throw new Refusal(403, 'origin');
    const sessionId = cookie(req.headers.cookie, ctx.publicUrl?.startsWith('https:') ? '__Host-errand_session' : 'errand_session');
    const session = sessionId ? await ctx.sessions.get(sessionId) : null;
    const key = session ? await keyById(ctx, session.keyId) : null;
    if (!sessionId || !session || !key) throw new Refusal(401, 'session');
    const ticket = await ctx.terminalTickets.take(url.searchParams.get('ticket') ?? '');
    if (!ticket || ticket.agentId !== agentId || ticket.keyId !== key.id || ticket.sessionHash !== sessionHash(sessionId)) throw new Refusal(403, 'ticket');
    const viewer = await viewerOf(ctx, key, sessionId, session);
    const agent = await ctx.agents.get(agentId);
    if (!agent || agent.workspace !== viewer.workspace) throw new Refusal(404, 'agent');
    const access = terminalAccess(viewer.principal, viewer.workspace, agent, await ctx.settings.get(agent.workspace), viewer.key.admin);
    if (!access) throw new Refusal(403, 'access');
    if (agent.status === 'expired') throw new Refusal(410, 'expired');
    return { viewer, agent, access };
  };

  /** Whether the person still may (as much as when they connected); a reason to close if not. */
  const recheck = async (viewer: Viewer, agentId: string, had: TerminalAccess): Promise<{ code: number; reason: string } | null> => {
    const session = await ctx.sessions.get(viewer.sessionId);
    const key = session ? await keyById(ctx, session.keyId) : null;
    if (!session || !key) return { code: terminalCloseCodes.signedOut, reason: 'Your session ended. Sign in again.' };
    const agent = await ctx.agents.get(agentId);
    if (!agent) return { code: terminalCloseCodes.gone, reason: 'The agent was deleted.' };
    if (agent.status === 'expired') return { code: terminalCloseCodes.expired, reason: 'The agent expired.' };
    const now = await viewerOf(ctx, key, viewer.sessionId, session);
    const access = terminalAccess(now.principal, now.workspace, agent, await ctx.settings.get(agent.workspace), now.key.admin);
    if (!access || (had === 'type' && access !== 'type')) return { code: terminalCloseCodes.forbidden, reason: 'You no longer have access to this terminal.' };
    return null;
  };

  const serve = (ws: WebSocket, viewer: Viewer, agent: Agent, access: TerminalAccess, cols: number, rows: number) => {
    const openedAt = ctx.clock.now();
    const actor = { workspace: agent.workspace, actor: principalKey(viewer.principal), actorName: viewer.principal.name, target: [agent.id] };
    const log = ctx.log.child({ agentId: agent.id, actor: actor.actor, access });
    let terminal: MachineTerminal | null = null;
    let closed = false;
    // What the page sent before the terminal opened (starting a stopped machine takes seconds).
    let pendingInput: Buffer[] = [];
    let pendingBytes = 0;
    let wanted = { cols, rows };
    const end = (code: number, reason: string) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
    };
    const forget = ctx.liveTerminals.add({ agentId: agent.id, sessionId: viewer.sessionId, keyId: viewer.key.id, end });
    const timer = setInterval(() => {
      recheck(viewer, agent.id, access)
        .then((refusal) => refusal && end(refusal.code, refusal.reason))
        .catch((error: unknown) => log.warn({ err: error }, 'web terminal access check failed'));
    }, ctx.terminalRecheckMs);
    timer.unref();
    const send = (message: { type: 'hello'; mode: TerminalAccess } | { type: 'status' | 'error'; text: string }) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };

    ws.on('close', () => {
      closed = true;
      clearInterval(timer);
      forget();
      terminal?.close();
      const seconds = Math.round((ctx.clock.now().getTime() - openedAt.getTime()) / 1000);
      log.info({ seconds }, 'web terminal closed');
      void ctx.audit.append({ ...actor, action: 'agent.terminal_close', terminal: { mode: access, seconds } }).catch((error: unknown) => log.warn({ err: error }, 'could not audit a web terminal'));
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        // Watchers' keystrokes never reach the machine (their tmux client is read-only as well).
        if (access !== 'type') return;
        if (terminal) terminal.write(bytes);
        else if (pendingBytes + bytes.length <= maxPendingInputBytes) {
          pendingInput.push(bytes);
          pendingBytes += bytes.length;
        }
        return;
      }
      let control: TerminalControl;
      try {
        control = TerminalControl.parse(JSON.parse(bytes.toString('utf8')));
      } catch {
        return;
      }
      wanted = { cols: control.cols, rows: control.rows };
      if (terminal) void terminal.resize(control.cols, control.rows);
    });

    log.info({ cols, rows }, 'web terminal opened');
    void ctx.audit.append({ ...actor, action: 'agent.terminal_open', terminal: { mode: access } }).catch((error: unknown) => log.warn({ err: error }, 'could not audit a web terminal'));
    send({ type: 'hello', mode: access });
    if (agent.status !== 'running' && agent.status !== 'preparing') send({ type: 'status', text: 'Starting the machine if it was stopped…' });
    terminals.open(agent.id, { readOnly: access === 'watch', cols, rows }).then(
      (opened) => {
        if (closed) {
          opened.close();
          return;
        }
        terminal = opened;
        // The page's size and keystrokes from while the machine was opening.
        if (wanted.cols !== cols || wanted.rows !== rows) void opened.resize(wanted.cols, wanted.rows);
        for (const bytes of pendingInput) opened.write(bytes);
        pendingInput = [];
        opened.onData((chunk) => {
          if (ws.readyState !== ws.OPEN) return;
          // A page that stopped reading must not make this process hold the machine's output.
          if (ws.bufferedAmount > maxBufferedBytes) end(terminalCloseCodes.tooSlow, 'The connection is too slow for this output. Reconnect.');
          else ws.send(chunk, { binary: true });
        });
        opened.onEnd(() => end(1000, 'The terminal ended (the tmux session closed or the machine stopped).'));
        send({ type: 'status', text: '' });
      },
      (error: unknown) => {
        const gone = isErrandError(error, 'not_found');
        if (!gone) log.warn({ err: error }, 'could not open a web terminal');
        const notYet = agent.status === 'queued' || agent.status === 'preparing';
        const text = gone && notYet ? "This agent's machine is not ready yet: try again once it runs." : gone ? "This agent's machine is gone (it expired, or it ran on a Docker host this server cannot reach)." : `Could not open the machine: ${isErrandError(error) ? ctx.scrubber.scrub(error.message) : 'see the server log'}`;
        send({ type: 'error', text });
        end(gone ? terminalCloseCodes.gone : terminalCloseCodes.failed, gone ? 'The machine is gone.' : 'Could not open the machine.');
      },
    );
  };

  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://errand.invalid');
    const match = socketPath.exec(url.pathname);
    if (!match) return false;
    const agentId = match[1]!;
    authorise(req, agentId, url).then(
      ({ viewer, agent, access }) => {
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, viewer, agent, access, size(url.searchParams.get('cols'), 80, 500), size(url.searchParams.get('rows'), 24, 300)));
      },
      (error: unknown) => {
        const status = error instanceof Refusal ? error.status : 500;
        if (!(error instanceof Refusal)) ctx.log.error({ err: error, agentId }, 'web terminal upgrade failed');
        else ctx.log.info({ agentId, refused: error.message }, 'web terminal refused');
        socket.end(`HTTP/1.1 ${status} ${status === 500 ? 'Internal Server Error' : statusText[status as Refusal['status']]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      },
    );
    return true;
  };
}
