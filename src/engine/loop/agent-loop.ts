import { isErrandError, type AgentEvent, type FollowUp, type Log, type ModelMessage, type ModelToolCall, type ResolvedModel, type SandboxHandle, type TokenUsage } from '../../core/index.js';
import { compactHistory, defaultCompact, type CompactOptions } from './history.js';
import { OutputStream, type OutputStreamLimits } from './output-stream.js';
import { modelTools, ToolFailure, type CommandOutcome, type Tool, type ToolContext } from './tool.js';

export interface LoopLimits {
  /** Model calls in this run. */
  maxSteps: number;
  /** Wall-clock time of this run, in ms. */
  maxMs: number;
  /** Input plus output tokens in this run; null for no limit. */
  maxTokens: number | null;
}

export type LoopOutcome =
  | { kind: 'finished'; summary: string }
  | { kind: 'limit_reached'; limit: 'steps' | 'time' | 'tokens'; message: string }
  /** The job's signal aborted (a stop or a shutdown); its reason says which. */
  | { kind: 'aborted' };

export interface LoopResult {
  outcome: LoopOutcome;
  /** The conversation without the system prompt, every tool call answered: what a resume continues. */
  messages: ModelMessage[];
  usage: TokenUsage;
  steps: number;
}

export interface AgentLoopOptions {
  model: ResolvedModel;
  sandbox: SandboxHandle;
  tools: readonly Tool[];
  system: string;
  /** The conversation so far, without the system prompt: the task, or a resumed agent's history. */
  messages: ModelMessage[];
  limits: LoopLimits;
  signal: AbortSignal;
  /** Secrets for the agent's commands. */
  env: Record<string, string>;
  commandTimeoutMs: number;
  /** Takes the follow-ups people sent; called before every model call. */
  drainFollowUps(): Promise<FollowUp[]>;
  emit(event: AgentEvent): Promise<void>;
  /** Each model call's usage, to add to the agent's record. */
  onUsage(usage: TokenUsage): Promise<void>;
  /** The conversation after each step (for resume). */
  onStep?(messages: ModelMessage[]): Promise<void>;
  /** In ask mode an answer in plain text ends the run; in agent mode the model is asked once to go on. */
  endOnText?: boolean;
  compact?: CompactOptions;
  log: Log;
  maxOutputTokens?: number;
  /** How a command's live output is batched and capped (tests make it small). */
  outputStream?: OutputStreamLimits;
}

const eventArgsChars = 2000;
const eventOutputChars = 4000;
const eventTextChars = 8000;

export const continueNudge =
  'You answered without calling a tool. If the task is done, call finish with your summary; otherwise go on working with the tools.';

/**
 * The agent: model call → tool calls run in the sandbox → results → … until the model calls
 * `finish`, a limit is hit, or the signal aborts. Follow-ups are read before every model call.
 * Bad tool calls (invalid JSON, wrong fields, unknown tools) go back to the model as errors.
 */
export async function runAgentLoop(options: AgentLoopOptions): Promise<LoopResult> {
  const { limits, model, log } = options;
  const messages = options.messages;
  const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  const tools = new Map(options.tools.map((tool) => [tool.name, tool]));
  const offered = modelTools(options.tools);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), limits.maxMs);
  const signal = AbortSignal.any([options.signal, deadline.signal]);
  const context: ToolContext = { sandbox: options.sandbox, signal, env: options.env, commandTimeoutMs: options.commandTimeoutMs };
  let steps = 0;
  let nudged = false;
  const result = (outcome: LoopOutcome): LoopResult => ({ outcome, messages, usage, steps });
  const stopped = (): LoopResult | null => {
    if (options.signal.aborted) return result({ kind: 'aborted' });
    if (deadline.signal.aborted) {
      return result({ kind: 'limit_reached', limit: 'time', message: `reached the time limit of ${minutes(limits.maxMs)} for one run (ERRAND_MAX_MINUTES)` });
    }
    return null;
  };

  try {
    for (;;) {
      const early = stopped();
      if (early) return early;
      if (steps >= limits.maxSteps) {
        return result({ kind: 'limit_reached', limit: 'steps', message: `reached the limit of ${limits.maxSteps} model calls for one run (ERRAND_MAX_STEPS)` });
      }
      const spent = usage.inputTokens + usage.outputTokens;
      if (limits.maxTokens !== null && spent >= limits.maxTokens) {
        return result({ kind: 'limit_reached', limit: 'tokens', message: `used ${spent} tokens, over the limit of ${limits.maxTokens} for one run (ERRAND_MAX_TOKENS)` });
      }

      for (const followUp of await options.drainFollowUps()) {
        messages.push({ role: 'user', content: `Follow-up from ${followUp.author.name}:\n${followUp.text}` });
      }
      compactHistory(messages, options.compact ?? defaultCompact);

      let response;
      try {
        response = await model.client.complete(
          {
            model: model.model,
            messages: [{ role: 'system', content: options.system }, ...messages],
            tools: offered,
            ...(options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : {}),
          },
          signal,
        );
      } catch (error) {
        const halted = stopped();
        if (halted && (signal.aborted || isErrandError(error, 'aborted'))) return halted;
        throw error;
      }
      steps += 1;
      usage.inputTokens += response.usage.inputTokens;
      usage.outputTokens += response.usage.outputTokens;
      await options.onUsage(response.usage);

      const reasoning = response.reasoning?.trim();
      if (reasoning) await options.emit({ type: 'thinking', text: cut(reasoning, eventTextChars) });
      const text = response.text.trim();
      if (text) await options.emit({ type: 'model_message', text: cut(text, eventTextChars) });
      messages.push({ role: 'assistant', content: response.text, toolCalls: response.toolCalls });

      if (response.toolCalls.length === 0) {
        if ((options.endOnText && text) || nudged) {
          await options.onStep?.(messages);
          return result({ kind: 'finished', summary: text || 'The agent stopped without a summary.' });
        }
        nudged = true;
        messages.push({ role: 'user', content: continueNudge });
        await options.onStep?.(messages);
        continue;
      }
      nudged = false;
      // A new machine may still be opening its terminals: the first tool call waits (a failure there fails the run).
      await options.sandbox.whenReady;

      let summary: string | null = null;
      for (const call of response.toolCalls) {
        if (summary !== null || signal.aborted) {
          const why = summary !== null ? 'not run: finish was called first' : 'not run: the run was stopped';
          messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: why, isError: true });
          continue;
        }
        const outcome = await runCall(call, tools, context, options, log);
        messages.push(outcome.ok ? { role: 'tool', toolCallId: call.id, name: call.name, content: outcome.content } : { role: 'tool', toolCallId: call.id, name: call.name, content: outcome.content, isError: true });
        if (outcome.ok && call.name === 'finish') summary = outcome.content;
      }
      await options.onStep?.(messages);
      if (summary !== null) return result({ kind: 'finished', summary });
    }
  } finally {
    clearTimeout(timer);
  }
}

async function runCall(call: ModelToolCall, tools: Map<string, Tool>, context: ToolContext, options: AgentLoopOptions, log: Log): Promise<{ ok: boolean; content: string }> {
  await options.emit({ type: 'tool_call', callId: call.id, name: call.name, args: cut(call.arguments, eventArgsChars) });
  const started = performance.now();
  const live = new OutputStream(call.id, (event) => void options.emit(event), options.outputStream);
  let outcome: { ok: boolean; content: string };
  let command: CommandOutcome | null = null;
  const tool = tools.get(call.name);
  if (!tool) {
    outcome = { ok: false, content: `there is no tool named ${JSON.stringify(call.name)}; the tools are: ${[...tools.keys()].join(', ')}` };
  } else {
    try {
      const returned = await tool.run(tool.parse(call.arguments), { ...context, onOutput: (stream, text) => live.push(stream, text) });
      if (typeof returned === 'string') outcome = { ok: true, content: returned };
      else {
        command = returned;
        // The model reads the exit code in the text; the step is marked failed everywhere else.
        outcome = { ok: true, content: returned.content };
      }
    } catch (error) {
      if (!(error instanceof ToolFailure)) throw error;
      outcome = { ok: false, content: error.message };
    } finally {
      live.end();
    }
  }
  if (!outcome.ok) log.debug({ tool: call.name }, 'tool call failed');
  const failed = command !== null && (command.exitCode !== 0 || command.timedOut);
  await options.emit({
    type: 'tool_result',
    callId: call.id,
    name: call.name,
    ok: outcome.ok && !failed,
    output: cut(outcome.content, eventOutputChars),
    ...(command ? { exitCode: command.exitCode, ...(command.timedOut ? { timedOut: true } : {}) } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  return outcome;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 1 ? `${Number.isInteger(m) ? m : m.toFixed(1)} minute${m === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
}
