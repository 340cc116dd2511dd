import { z } from 'zod';

/** One tmux window opened after `start`. */
export const Terminal = z.looseObject({
  name: z.string().optional(),
  command: z.string().optional(),
  description: z.string().optional(),
});
export type Terminal = z.infer<typeof Terminal>;

/** A Dockerfile build; both paths are relative to the folder holding the environment file. */
export const BuildSpec = z.looseObject({
  dockerfile: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
});
export type BuildSpec = z.infer<typeof BuildSpec>;


/**
 * `.errand/environment.json` or Cursor's `.cursor/environment.json`, as Cursor defines it. Outside
 * data, so tolerant: unknown keys are kept (and reported), only the fields we use are type-checked.
 */
export const EnvironmentFile = z.looseObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  user: z.string().min(1).optional(),
  install: z.string().optional(),
  start: z.string().optional(),
  terminals: z.array(Terminal).optional(),
  build: BuildSpec.optional(),
  snapshot: z.string().optional(),
  agentCanUpdateSnapshot: z.boolean().optional(),
  /** Any shape (a list of `{ name, port }`, numbers, "3000:3000" strings, a name → port map): listed, never refused. */
  ports: z.unknown().optional(),
  /** Other repositories cloned next to /workspace: URLs or `owner/name`, as strings or `{ url }` / `{ repository }`. */
  repositoryDependencies: z.unknown().optional(),
  /** Cursor keeps these folders between runs; Errand keeps the whole stopped machine, so it only warns. */
  persistedDirectories: z.unknown().optional(),
});
export type EnvironmentFile = z.infer<typeof EnvironmentFile>;

/** The keys Errand knows; anything else in a file is kept but reported as a warning. */
export const knownEnvironmentKeys: ReadonlySet<string> = new Set(Object.keys(EnvironmentFile.shape));

/** Where Errand looks, in order, relative to the repository root. */
export const environmentFileCandidates = ['.errand/environment.json', '.cursor/environment.json'] as const;
