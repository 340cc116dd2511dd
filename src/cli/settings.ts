import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { z } from 'zod';
import { ErrandError, Settings, type SettingsService, type SettingsUpdate } from '../core/index.js';
import { cliActor, pickWorkspace } from './cli-actor.js';

export interface SettingsCliDeps {
  settings: SettingsService;
  /** Used when --workspace is not given. */
  defaultWorkspace?: string;
  stdout: Writable;
}

/** `errand settings get [key]`: every setting as JSON, or one setting's value. */
export async function getSettings(deps: SettingsCliDeps, key: string | undefined, options: { workspace?: string }): Promise<unknown> {
  const workspace = pickWorkspace(options.workspace, deps.defaultWorkspace);
  const settings = await deps.settings.get(workspace);
  if (key !== undefined && !(key in settings)) {
    throw new ErrandError('invalid_request', `no setting \`${key}\`; settings are: ${Object.keys(settings).join(', ')}`);
  }
  const value = key === undefined ? settings : settings[key as keyof Settings];
  deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return value;
}

/** `errand settings set key=value …`: validated as a whole; nothing is saved if any field is refused. */
export async function setSettings(deps: SettingsCliDeps, assignments: string[], options: { workspace?: string }): Promise<SettingsUpdate> {
  const workspace = pickWorkspace(options.workspace, deps.defaultWorkspace);
  const current = await deps.settings.get(workspace);
  const patch = parseAssignments(assignments, current);
  const result = await deps.settings.update(workspace, cliActor(workspace), patch, { platformAdmin: true });
  deps.stdout.write(result.changed.length ? `changed ${result.changed.join(', ')} (applies to agents started from now on)\n` : 'nothing changed\n');
  return result;
}

/**
 * `key=value` pairs into a patch, each value read as its setting's type: `true`/`false`, numbers,
 * lists as `a,b,c` (or JSON), maps as JSON. `channelRepos.C123=acme/web` sets one entry of a map
 * (an empty value removes it). Unknown keys pass through so the service refuses them by name.
 */
export function parseAssignments(assignments: string[], current: Settings): Record<string, unknown> {
  if (assignments.length === 0) throw new ErrandError('invalid_request', 'nothing to set: pass key=value, e.g. `errand settings set defaultRepo=acme/web`');
  const patch: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ErrandError('invalid_request', `\`${assignment}\` is not key=value`);
    const key = assignment.slice(0, eq).trim();
    const raw = assignment.slice(eq + 1);
    const dot = key.indexOf('.');
    if (dot > 0) {
      const base = key.slice(0, dot);
      const entry = key.slice(dot + 1);
      const field = fieldSchema(base);
      if (!(field instanceof z.ZodRecord)) throw new ErrandError('invalid_request', `\`${base}\` is not a map setting, so \`${key}\` cannot be set`);
      const map = { ...((patch[base] ?? current[base as keyof Settings]) as Record<string, string>) };
      if (raw.trim() === '') delete map[entry];
      else map[entry] = raw.trim();
      patch[base] = map;
      continue;
    }
    patch[key] = coerce(fieldSchema(key), raw);
  }
  return patch;
}

function fieldSchema(key: string): z.ZodType | undefined {
  const field = (Settings.shape as Record<string, z.ZodType>)[key];
  return field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
}

function coerce(field: z.ZodType | undefined, raw: string): unknown {
  const text = raw.trim();
  if (field instanceof z.ZodBoolean) return /^(true|yes|on|1)$/i.test(text) ? true : /^(false|no|off|0)$/i.test(text) ? false : raw;
  if (field instanceof z.ZodNumber) return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
  if (field instanceof z.ZodArray) return text.startsWith('[') ? json(text) : text.split(',').map((s) => s.trim()).filter(Boolean);
  if (field instanceof z.ZodRecord) return json(text);
  return field ? text : raw;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Adds `errand settings get|set` to the program. Errors propagate to the caller's handler. */
/** `deps` is called only when a subcommand runs, so other commands never connect to Redis. */
export function registerSettings(program: Command, deps: () => Promise<SettingsCliDeps>): Command {
  const settings = program.command('settings').description("a workspace's settings (see docs/settings-and-secrets.md)");
  settings
    .command('get [key]')
    .description('print every setting, or one')
    .option('-w, --workspace <id>', 'workspace (Slack team id, GitHub installation id, API tenant)')
    .action(async (key: string | undefined, options: { workspace?: string }) => {
      await getSettings(await deps(), key, options);
    });
  settings
    .command('set <key=value...>')
    .description('change settings, e.g. `defaultRepo=acme/web privacyMode=true admins=U123,U456 channelRepos.C42=acme/api`')
    .option('-w, --workspace <id>', 'workspace (Slack team id, GitHub installation id, API tenant)')
    .action(async (assignments: string[], options: { workspace?: string }) => {
      await setSettings(await deps(), assignments, options);
    });
  return settings;
}
