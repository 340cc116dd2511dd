import { z } from 'zod';
import type { ModelTool, SandboxHandle } from '../../core/index.js';

/** What a tool runs against: the agent's container, the run's signal and the agent's secrets. */
export interface ToolContext {
  sandbox: SandboxHandle;
  signal: AbortSignal;
  /** Secrets for the agent's own commands (`run`); never the push token or a model key. */
  env: Record<string, string>;
  /** Longest a `run` command may take. */
  commandTimeoutMs: number;
  /** Output of the step's command as it runs (shown live; the result still carries it). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/** A step that ran a command: what the model reads, and whether the command failed and how. */
export interface CommandOutcome {
  content: string;
  exitCode: number;
  timedOut: boolean;
}

export type ToolReturn = string | CommandOutcome;

/**
 * A tool failed in a way the model can act on (no such file, ambiguous edit): the message goes
 * back to the model as an error result and the loop goes on.
 */
export class ToolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolFailure';
  }
}

/** A tool as the loop sees it: a JSON schema for the model and a runner that validates its input. */
export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  /** Offered in `ask` mode: it changes no file the agent would push. */
  readonly readOnly: boolean;
  /** Parses the raw arguments; a ToolFailure names what is wrong with them. */
  parse(raw: string): unknown;
  run(args: unknown, context: ToolContext): Promise<ToolReturn>;
}

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  description: string;
  schema: S;
  readOnly: boolean;
  run(args: z.infer<S>, context: ToolContext): Promise<ToolReturn>;
}

/** One tool from a zod schema: the model gets `z.toJSONSchema` of it, its calls are validated by it. */
export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): Tool {
  const { $schema: _drop, ...parameters } = z.toJSONSchema(spec.schema) as Record<string, unknown>;
  return {
    name: spec.name,
    description: spec.description,
    parameters,
    readOnly: spec.readOnly,
    parse(raw) {
      let json: unknown;
      try {
        json = raw.trim() === '' ? {} : JSON.parse(raw);
      } catch (error) {
        throw new ToolFailure(`the arguments of ${spec.name} are not valid JSON (${error instanceof Error ? error.message : String(error)}); send one JSON object matching the tool's schema`);
      }
      const result = spec.schema.safeParse(json);
      if (!result.success) throw new ToolFailure(`invalid arguments for ${spec.name}:\n${z.prettifyError(result.error)}`);
      return result.data;
    },
    run: (args, context) => spec.run(args as z.infer<S>, context),
  };
}

export function modelTools(tools: readonly Tool[]): ModelTool[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.parameters }));
}
