import { z } from 'zod';
import { AgentModeField, branchName } from './schemas.js';

const Prompt = z.looseObject({
  text: z.string().trim().min(1, 'must not be empty'),
  images: z.array(z.unknown()).max(0, 'images are not supported by Errand; describe the image in prompt.text').optional(),
});

/** `model` in v1 is an object (`{ id }`); a bare string is taken too. */
const ModelSelection = z.union([
  z.string().trim().min(1, 'must not be empty').transform((id) => ({ id })),
  z.looseObject({ id: z.string().trim().min(1, 'must not be empty'), params: z.array(z.unknown()).optional() }),
]);

/** Names Errand keeps for itself are refused. */
const EnvVars = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid environment variable name').refine((name) => !name.toUpperCase().startsWith('ERRAND_'), 'names starting with ERRAND_ are reserved'),
  z.string().max(65_536),
);

/**
 * `POST /v1/agents`, shaped like Cursor's Cloud Agents API v1: a prompt, an optional model, the
 * repositories (`repos[]`, up to 20, the first the primary; or a `prUrl`), mode and envVars.
 * Tolerant of fields Errand does not use (kept, logged).
 */
export const V1CreateAgentBody = z.looseObject({
  prompt: Prompt,
  model: ModelSelection.optional(),
  repos: z
    .array(
      z
        .looseObject({
          url: z.string().trim().min(1, 'must not be empty').optional(),
          startingRef: branchName.optional(),
          prUrl: z.string().trim().min(1).optional(),
        })
        .refine((repo) => repo.url !== undefined || repo.prUrl !== undefined, { message: 'give url (or prUrl)', path: ['url'] }),
    )
    .min(1, 'name at least one repository')
    .max(20, 'at most 20 repositories')
    .optional(),
  branchName: branchName.optional(),
  autoCreatePR: z.boolean().optional(),
  mode: AgentModeField.optional(),
  envVars: EnvVars.optional(),
  agentId: z.string().optional(),
  privacy: z.boolean().optional(),
});
export type V1CreateAgentBody = z.infer<typeof V1CreateAgentBody>;

/** `POST /v1/agents/{id}/runs`: a follow-up prompt; Errand's `mode` switches the agent from this run on (`agent` carries out a plan). */
export const V1CreateRunBody = z.looseObject({ prompt: Prompt, mode: AgentModeField.optional() });
export type V1CreateRunBody = z.infer<typeof V1CreateRunBody>;

const queryString = z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string().optional());
const queryBool = z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.enum(['true', 'false']).optional()).transform((v) => v === 'true');

export const V1ListAgentsQuery = z.looseObject({
  limit: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(100).default(20)),
  cursor: queryString.pipe(z.string().regex(/^\d+(\.\d+)?$/, 'is not a cursor from a previous page').optional()),
  prUrl: queryString,
  includeArchived: queryBool,
});
export type V1ListAgentsQuery = z.infer<typeof V1ListAgentsQuery>;

export const V1ListRunsQuery = z.looseObject({
  limit: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(100).default(20)),
  cursor: queryString,
});
export type V1ListRunsQuery = z.infer<typeof V1ListRunsQuery>;

/** `GET /v1/agents/{id}/artifacts/download?path=artifacts/<name>`. */
export const V1ArtifactDownloadQuery = z.looseObject({
  path: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string().min(1, 'must not be empty')),
});
export type V1ArtifactDownloadQuery = z.infer<typeof V1ArtifactDownloadQuery>;
