/** One person's connection to an agent's tmux session (a TTY in the machine). */
export interface MachineTerminal {
  /** Output of the terminal, as raw bytes (escape sequences included). */
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once when the terminal ends (the tmux client exited, the machine went away, or close()). */
  onEnd(listener: () => void): void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): Promise<void>;
  close(): void;
}

export interface TerminalOpenOptions {
  /** Attach as a read-only tmux client that does not resize the session either. */
  readOnly: boolean;
  cols: number;
  rows: number;
}

/** Opens terminals into agents' machines; a stopped machine is started first. */
export interface MachineTerminals {
  open(agentId: string, options: TerminalOpenOptions): Promise<MachineTerminal>;
}
