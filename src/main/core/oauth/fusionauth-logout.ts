/**
 * FusionAuth's Logout API, for sign-out at an IdP that has no RFC 7009 revocation endpoint:
 * `POST <FusionAuth base>/api/logout` with the JSON body `{ "refreshToken": "...", "global": false }`
 * revokes that refresh token (not the user's other sessions). It takes no API key (the refresh token
 * is the credential); a 200 is success.
 *
 * Outcomes, as revocation.ts's: success; `revocation_refused` (400: FusionAuth rejected the request;
 * retrying will not help); `offline` / `idp_unavailable` (no answer, 5xx or anything else: retry later).
 */
import { FieldKeyError } from '../../../shared/errors';
import { MAX_ERROR_CODE_CHARS, sanitizeErrorText } from './error-text';
import { isPlainObject, readJsonObject, send, unavailable, type HttpOptions } from './http-client';

/** FusionAuth serves OAuth under `<base>/oauth2/...` and its APIs under `<base>/api/...`. */
const FUSIONAUTH_TOKEN_PATH = /\/oauth2\/token$/;

/** The Logout API beside a FusionAuth token endpoint (`https://auth.acme.com/oauth2/token` → `https://auth.acme.com/api/logout`). */
export function fusionAuthLogoutUrl(tokenEndpoint: string): string {
  const url = new URL(tokenEndpoint);
  url.search = '';
  url.hash = '';
  url.pathname = FUSIONAUTH_TOKEN_PATH.test(url.pathname) ? url.pathname.replace(FUSIONAUTH_TOKEN_PATH, '/api/logout') : '/api/logout';
  return url.toString();
}

export async function logOutAtFusionAuth(http: HttpOptions, request: { logoutEndpoint: string; refreshToken: string }): Promise<void> {
  const response = await send(
    http,
    request.logoutEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ refreshToken: request.refreshToken, global: false }),
    },
    'logout',
  );
  if (response.status === 200) {
    await response.body?.cancel();
    return;
  }
  if (response.status === 400) {
    const code = firstErrorCode(await readJsonObject(response, 'logout'));
    throw new FieldKeyError('revocation_refused', `The identity provider refused to revoke the token${code ? `: ${code}` : ''}.`);
  }
  await response.body?.cancel();
  throw unavailable('logout', response.status);
}

/** FusionAuth's error body: `{ "fieldErrors": { "<field>": [{ "code": ... }] }, "generalErrors": [{ "code": ... }] }`. */
function firstErrorCode(body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  const general = Array.isArray(body.generalErrors) ? body.generalErrors : [];
  const fields = isPlainObject(body.fieldErrors)
    ? Object.values(body.fieldErrors).flatMap((list) => (Array.isArray(list) ? list : []))
    : [];
  for (const item of [...general, ...fields]) {
    if (isPlainObject(item) && typeof item.code === 'string') {
      const code = sanitizeErrorText(item.code, MAX_ERROR_CODE_CHARS);
      if (code) return code;
    }
  }
  return undefined;
}
