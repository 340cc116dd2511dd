import { z } from 'zod';

/** A git branch name we are willing to pass on: no spaces, no `..`, no leading `-` or `/`. */
export const branchName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^(?!-)(?!\/)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/@+-]+(?<!\/)(?<!\.lock)(?<!\.)$/, 'is not a valid git branch name');

/**
 * `POST /v0/agents`, shaped like Cursor's Background Agents API v0 so its clients fit, plus
 * Errand's `mode` and `privacy`. Tolerant of fields we do not use (kept, logged), strict on the
 * ones we do. `prompt.images` is refused rather than silently dropped: agents here read text only.
 */
export const LaunchBody = z.looseObject({
  prompt: z.looseObject({
    text: z.string().trim().min(1, 'must not be empty'),
    images: z.array(z.unknown()).max(0, 'images are not supported by Errand; describe the image in prompt.text').optional(),
  }),
  source: z
    .looseObject({
      /** `owner/name` or an https git URL (no credentials); a server path only with ERRAND_LOCAL_REPOS=allow and an admin key. */
      repository: z.string().trim().min(1, 'must not be empty').optional(),
      /** The base branch; the repository's default branch when left out. */
      ref: branchName.optional(),
      /** Work on this pull request's head branch (same repository only) instead of a new branch. */
      prUrl: z.string().trim().min(1, 'must not be empty').optional(),
    })
    .optional(),
  model: z.string().trim().min(1, 'must not be empty').optional(),
  target: z
    .looseObject({
      autoCreatePr: z.boolean().optional(),
      branchName: branchName.optional(),
    })
    .optional(),
  webhook: z
    .looseObject({
      url: z.string().trim().min(1),
      secret: z.string().min(32, 'must be at least 32 characters').max(1024).optional(),
    })
    .optional(),
  mode: z.enum(['agent', 'ask', 'plan']).optional(),
  privacy: z.boolean().optional(),
  /**
   * Session environment variables for the agent's commands: sealed like secrets, never shown back
   * (only their names), forgotten with the agent. Names and sizes are checked by the core.
   */
  envVars: z.record(z.string(), z.string()).optional(),
  /** Several repositories (`owner/name` or URLs), the first one primary; `source.repository` is the one-repository form. */
  repos: z.array(z.string().trim().min(1, 'must not be empty')).min(1).max(20, 'at most 20 repositories').optional(),
});
export type LaunchBody = z.infer<typeof LaunchBody>;

/** Errand's `mode`: `agent` edits and pushes, `ask` only answers, `plan` writes a plan and changes nothing. */
export const AgentModeField = z.enum(['agent', 'ask', 'plan']);

export const FollowUpBody = z.looseObject({
  prompt: z.looseObject({
    text: z.string().trim().min(1, 'must not be empty'),
    images: z.array(z.unknown()).max(0, 'images are not supported by Errand').optional(),
  }),
  /** Switches the agent's mode from this run on (`agent` carries out a plan). */
  mode: AgentModeField.optional(),
});
export type FollowUpBody = z.infer<typeof FollowUpBody>;

const queryString = z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string().optional());

export const ListQuery = z.looseObject({
  limit: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(100).default(20)),
  cursor: queryString.pipe(z.string().regex(/^\d+(\.\d+)?$/, 'is not a cursor from a previous page').optional()),
  /** Comma-separated API (RUNNING) or Errand (running) status names. */
  status: queryString,
  repo: queryString,
  q: queryString,
  /** Also list agents archived through v1 (hidden by default). */
  includeArchived: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.enum(['true', 'false']).optional()).transform((v) => v === 'true'),
});
export type ListQuery = z.infer<typeof ListQuery>;

export const SecretBody = z.looseObject({
  value: z.string().min(1, 'must not be empty'),
  /** A repository secret instead of a workspace one. */
  repo: z.string().trim().min(1).optional(),
  availableToInstall: z.boolean().optional(),
});
export type SecretBody = z.infer<typeof SecretBody>;

export const AuditQuery = z.looseObject({
  limit: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(500).default(50)),
  before: queryString,
});
export type AuditQuery = z.infer<typeof AuditQuery>;
