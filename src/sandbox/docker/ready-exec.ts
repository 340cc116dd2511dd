import { ErrandError } from '../../core/errors.js';
import type { PreparedFacts } from '../../core/ports/sandbox.js';
import { execInContainer, type ExecTarget } from './exec.js';
import { lastLines } from './output-buffer.js';
import { readyListing } from './ready-state.js';
import { quote, tmuxSession } from './terminals.js';

const notesBytes = 4000;
const dependenciesRoot = '/workspace-deps';

/** The repository's own notes, as the agent's system prompt quotes them. */
const notesScript = `cd /workspace || exit 0
for f in AGENTS.md AGENT.md CLAUDE.md .cursorrules README.md README.rst README.txt README; do
  if [ -f "$f" ]; then printf '=== %s ===\\n' "$f"; head -c ${notesBytes} -- "$f"; printf '\\n'; fi
done`;

/** Each part runs in its own shell; its exit code and its output (base64, one line) are printed on one line. */
function part(name: string, script: string): string {
  return `o=$(sh -c ${quote(script)} 2>&1); c=$?; printf '%s %s %s\\n' ${name} "$c" "$(printf '%s' "$o" | base64 -w0)"`;
}

export interface ReadyResult {
  /** The `ls-files -s -z` listing in base64 (see ready-state.ts), or null when it could not be made. */
  listing: string | null;
}

/** What the system prompt says about /workspace, read in one exec (a machine found again). */
export async function readFacts(target: ExecTarget): Promise<PreparedFacts | null> {
  const script = factParts().join('\n');
  const result = await execInContainer(target, script, { cwd: '/', timeoutMs: 15_000, maxOutputBytes: 1024 * 1024 });
  return factsOf(partsOf(result.output));
}

function factParts(): string[] {
  return [
    part('notes', notesScript),
    part('top', `cd /workspace && ls -Ap | head -n 100`),
    part('windows', `tmux list-windows -t ${tmuxSession} -F '#{window_name}'`),
    part('deps', `[ -d ${dependenciesRoot} ] && ls -A ${dependenciesRoot} | head -n 50 || true`),
  ];
}

function partsOf(output: string): Map<string, { code: number; text: string }> {
  const parts = new Map<string, { code: number; text: string }>();
  for (const line of output.split('\n')) {
    const [name, code, data] = line.split(' ');
    if (!name || code === undefined || !/^-?\d+$/.test(code)) continue;
    parts.set(name, { code: Number(code), text: Buffer.from(data ?? '', 'base64').toString('utf8') });
  }
  return parts;
}

function factsOf(parts: Map<string, { code: number; text: string }>): PreparedFacts | null {
  const [notes, top, windows, deps] = ['notes', 'top', 'windows', 'deps'].map((name) => parts.get(name));
  return notes && top && windows && deps
    ? {
        notes: notes.text.trim(),
        topLevel: top.text.trim(),
        terminals: windows.code === 0 ? windows.text.split('\n').map((l) => l.trim()).filter(Boolean) : [],
        dependencies: deps.text.split('\n').map((l) => l.trim()).filter(Boolean),
      }
    : null;
}

/**
 * The last step of a start, in one exec: opens the tmux terminals and lists the work tree as it is
 * ready (the base of the agent's commit). A terminal failure throws as openTerminals does; the
 * listing only comes back null. The repository facts come from the host checkout (host-facts.ts).
 */
export async function finishReady(target: ExecTarget, terminalsScript: string, env: Record<string, string>): Promise<ReadyResult> {
  const script = [part('terminals', terminalsScript), part('listing', readyListing)].join('\n');
  const result = await execInContainer(target, script, { cwd: '/', env, timeoutMs: 10 * 60_000, maxOutputBytes: 700 * 1024 * 1024 });
  const parts = partsOf(result.output);
  const terminals = parts.get('terminals');
  if (!terminals || terminals.code !== 0) {
    const code = terminals?.code ?? result.exitCode;
    const output = terminals?.text ?? result.output;
    throw new ErrandError('sandbox_failed', `could not open the terminals (exit code ${code}): ${lastLines(output, 10)}${code === 127 ? '; fix: install tmux in the image (Dockerfile or snapshot)' : ''}`);
  }
  const listing = parts.get('listing');
  const recorded = listing && listing.code === 0 && !result.truncated ? listing.text.trim() : null;
  return { listing: recorded };
}
