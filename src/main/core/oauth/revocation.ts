/**
 * Token revocation (RFC 7009) for FieldKey's public client: a form POST of the refresh token with
 * `token_type_hint=refresh_token` and `client_id`. The IdP answers 200 for any token it will no
 * longer accept (already revoked or unknown included), which is success.
 *
 * Outcomes: success; `revocation_refused` (an OAuth error such as `unsupported_token_type` or
 * `invalid_client`: retrying will not help); `offline` / `idp_unavailable` (retry later).
 */
import { FieldKeyError } from '../../../shared/errors';
import { sanitizedOAuthError } from './error-text';
import { readJsonObject, send, unavailable, type HttpOptions } from './http-client';

export interface RevocationRequest {
  revocationEndpoint: string;
  clientId: string;
  refreshToken: string;
}

export async function revokeRefreshToken(http: HttpOptions, request: RevocationRequest): Promise<void> {
  const response = await send(
    http,
    request.revocationEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: request.refreshToken, token_type_hint: 'refresh_token', client_id: request.clientId }).toString(),
    },
    'revocation',
  );
  if (response.status === 200) {
    await response.body?.cancel();
    return;
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw unavailable('revocation', response.status);
  }
  const body = await readJsonObject(response, 'revocation');
  if ((response.status === 400 || response.status === 401) && body && typeof body.error === 'string') {
    const { error, description } = sanitizedOAuthError(body.error, body.error_description);
    throw new FieldKeyError(
      'revocation_refused',
      `The identity provider refused to revoke the token: ${error}${description ? ` (${description})` : ''}.`,
    );
  }
  throw unavailable('revocation', response.status);
}
