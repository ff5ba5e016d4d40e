import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, readJson } from './admin';
import type { OidcStore } from './sqlite-adapter';

/**
 * The demo IdP's copy of FusionAuth's Logout API, so FieldKey's FusionAuth sign-out is tested end to
 * end: `POST /api/logout` with the JSON body `{ "refreshToken": "..." }` (no API key) revokes that
 * refresh token's grant, so it and every token issued with it stop working. Like FusionAuth it
 * answers 200 with no body whether or not the token was still valid, and 400 with FusionAuth's
 * `fieldErrors` shape when `refreshToken` is missing. `global` (every session of the user) is not
 * offered: FieldKey never asks for it.
 */
export const LOGOUT_API_PATH = '/api/logout';

export async function handleLogoutApi(
  req: IncomingMessage,
  res: ServerResponse,
  store: OidcStore,
  log: (line: string) => void,
): Promise<void> {
  if (req.method !== 'POST') {
    json(res, 405, { generalErrors: [{ code: '[methodNotAllowed]', message: 'Use POST.' }] }, { Allow: 'POST' });
    return;
  }
  const body = await readJson(req, res);
  if (body === undefined) return;
  const refreshToken = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).refreshToken : undefined;
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    json(res, 400, { fieldErrors: { refreshToken: [{ code: '[blank]refreshToken', message: 'You must specify the refreshToken.' }] } });
    return;
  }
  if (store.revokeRefreshTokenGrant(refreshToken)) log('logout API: a refresh token and its grant were revoked');
  res.writeHead(200, { 'Cache-Control': 'no-store' }).end();
}
