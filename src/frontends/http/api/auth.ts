import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../../core/index.js';
import { principalOfKey, type ApiKeyRecord, type ApiKeyStore } from './api-keys.js';
import { ApiError } from './errors.js';

/** Who is calling: the key, and the principal it acts as. */
export interface ApiCaller {
  key: ApiKeyRecord;
  principal: Principal;
}

const createHint = 'create one on the server with `errand keys create --name <you>` (add --admin for settings and secrets)';

/** The key from `Authorization: Bearer err_…`, or Basic auth with the key as user name (as Cursor's API takes it). */
export function keyFromHeader(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    return user || null;
  }
  return null;
}

/** Every /v0 route needs a valid key; the caller lands in `res.locals.caller`. */
export function authenticate(keys: ApiKeyStore) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = keyFromHeader(req.get('authorization'));
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer realm="errand"');
      throw new ApiError(401, 'unauthorized', `this API needs a key: send \`Authorization: Bearer err_…\`; ${createHint}`);
    }
    const record = await keys.verify(key);
    if (!record) {
      res.set('WWW-Authenticate', 'Bearer realm="errand", error="invalid_token"');
      throw new ApiError(401, 'unauthorized', `this API key is not valid here (revoked, mistyped, or for another Errand server); ${createHint}`);
    }
    res.locals['caller'] = { key: record, principal: principalOfKey(record) } satisfies ApiCaller;
    next();
  };
}

export function callerOf(res: Response): ApiCaller {
  const caller = res.locals['caller'] as ApiCaller | undefined;
  if (!caller) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return caller;
}
