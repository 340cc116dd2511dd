/** A web terminal connection the dashboard holds open, and how to end it. */
export interface LiveTerminal {
  agentId: string;
  sessionId: string;
  keyId: string;
  /** Closes the WebSocket with a code and a reason the page shows. */
  end(code: number, reason: string): void;
}

/** WebSocket close codes the page knows (4000–4999 are the application's). */
export const terminalCloseCodes = {
  signedOut: 4401,
  forbidden: 4403,
  gone: 4404,
  expired: 4410,
  shutdown: 1001,
  tooSlow: 1013,
  failed: 1011,
} as const;

/**
 * The web terminals open in this process, so signing out (or shutting down) closes them at once;
 * the periodic access check closes the rest (other processes' sign-outs, lost rights, deleted agents).
 */
export class LiveTerminals {
  private readonly open = new Set<LiveTerminal>();

  add(terminal: LiveTerminal): () => void {
    this.open.add(terminal);
    return () => this.open.delete(terminal);
  }

  get size(): number {
    return this.open.size;
  }

  closeWhere(match: (terminal: LiveTerminal) => boolean, code: number, reason: string): void {
    for (const terminal of [...this.open]) if (match(terminal)) terminal.end(code, reason);
  }

  closeAll(): void {
    this.closeWhere(() => true, terminalCloseCodes.shutdown, 'Errand is shutting down');
  }
}
