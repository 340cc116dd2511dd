import { Router, type Request, type Response } from 'express';
import { artifactsFolder, isArtifactName } from '../../../core/index.js';
import { callerOf } from './auth.js';
import { baseUrlOf, callerIsAdmin, parse, visibleAgent, type ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { V1ArtifactDownloadQuery } from './v1-schemas.js';

/** One artifact as v1 lists it: its path relative to the workspace (`artifacts/…`), size and time. */
export interface V1Artifact {
  path: string;
  sizeBytes: number;
  updatedAt: string;
}

/**
 * `/v1/agents/{id}/artifacts` (list) and `/v1/agents/{id}/artifacts/download?path=…` (a presigned
 * link with its expiry), as Cursor's v1 has them. The link is Errand's own signed download
 * (artifact-urls.ts), served without a key by `artifactDownloadRoutes` under /v1 as under /v0.
 */
export function v1ArtifactRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/agents/:id/artifacts', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    const artifacts = await ctx.agents.listArtifacts(caller.principal, agent.id, await callerIsAdmin(ctx, caller));
    const items: V1Artifact[] = artifacts.map((a) => ({ path: `${artifactsFolder}/${a.name}`, sizeBytes: a.size, updatedAt: a.updatedAt }));
    res.json({ items });
  });

  router.get('/agents/:id/artifacts/download', async (req: Request<{ id: string }>, res: Response) => {
    const caller = callerOf(res);
    const agent = await visibleAgent(ctx, caller, req.params.id);
    const { path } = parse(V1ArtifactDownloadQuery, req.query, 'query');
    const name = artifactNameOf(path);
    const listed = await ctx.agents.listArtifacts(caller.principal, agent.id, await callerIsAdmin(ctx, caller));
    if (!listed.some((a) => a.name === name)) throw new ApiError(404, 'not_found', `agent ${agent.id} has no artifact ${path} (list them with GET /v1/agents/${agent.id}/artifacts)`, 'path');
    const { expires, signature } = await ctx.artifactUrls.query(agent.id, name);
    const encoded = name.split('/').map(encodeURIComponent).join('/');
    res.json({ url: `${baseUrlOf(ctx, req)}/v1/agents/${agent.id}/artifacts/${encoded}?expires=${expires}&signature=${signature}`, expiresAt: new Date(expires * 1000).toISOString() });
  });

  return router;
}

/** The artifact's name from a v1 `path` (`artifacts/report.md`; a bare `report.md` is taken too); `..` and absolute paths are refused. */
function artifactNameOf(path: string): string {
  const name = path.startsWith(`${artifactsFolder}/`) ? path.slice(artifactsFolder.length + 1) : path;
  if (!isArtifactName(name)) throw new ApiError(400, 'invalid_request', `path: \`${path}\` is not an artifact path; use a path from GET …/artifacts, like ${artifactsFolder}/report.md`, 'path');
  return name;
}
