import type { ApiCaller } from './auth.js';

/** `GET /v0/me` and `/v1/me`: Cursor's fields (`apiKeyName`, `createdAt`, `userEmail`), then Errand's. */
export function presentMe(caller: ApiCaller) {
  const { key } = caller;
  return {
    apiKeyName: key.name,
    createdAt: key.createdAt,
    userEmail: key.ownerEmail ?? null,
    keyId: key.id,
    workspace: key.workspace,
    user: { id: key.ownerId, name: key.ownerName },
  };
}
