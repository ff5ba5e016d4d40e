/**
 * The shape check of a successful token response (RFC 6749 section 5.1, OpenID Connect Core 3.1.3.3)
 * before anything in it is trusted or stored: Bearer tokens only, strings of bounded size, a sane
 * `expires_in`. Signatures and claims are checked by id-token.ts.
 */
import { decodeJwt } from 'jose';
import { FieldKeyError } from '../../../shared/errors';
import type { SessionTokens } from '../secrets/session-tokens';
import type { TokenEndpointAnswer } from './token-endpoint';

/** Far above real tokens (FusionAuth's are ~1-2 KB) and far below anything that strains sealing. */
export const MAX_TOKEN_CHARS = 16 * 1024;
const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

/** The tokens of one response, in the sealed session's shape. `expiresAt` is in Unix seconds. */
export interface TokenResponse extends SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
}

export interface TokenResponseRequirements {
  /** Sign-in: `offline_access` must have produced a refresh token. */
  refreshToken: boolean;
  /** Sign-in: the `openid` scope must have produced an ID token. */
  idToken: boolean;
}

export function parseTokenResponse(answer: TokenEndpointAnswer, required: TokenResponseRequirements): TokenResponse {
  const body = answer.body;
  const accessToken = tokenField(body, 'access_token');
  if (accessToken === undefined) throw invalid('has no access_token');
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw invalid('has a token_type other than Bearer');
  }
  const refreshToken = tokenField(body, 'refresh_token');
  if (required.refreshToken && refreshToken === undefined) {
    throw new FieldKeyError(
      'refresh_token_missing',
      'The identity provider issued no refresh token: the FieldKey client needs the offline_access scope (and consent) to work offline.',
    );
  }
  const idToken = tokenField(body, 'id_token');
  if (required.idToken && idToken === undefined) throw invalid('has no id_token although the openid scope was requested');
  if (body.scope !== undefined && typeof body.scope !== 'string') throw invalid('has a scope that is not a string');

  const tokens: TokenResponse = { accessToken, tokenType: 'Bearer' };
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken;
  if (idToken !== undefined) tokens.idToken = idToken;
  if (typeof body.scope === 'string') tokens.scope = body.scope.slice(0, 2048);
  const expiresAt = expiry(body.expires_in, accessToken, answer.receivedAt);
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt;
  tokens.receivedAt = Math.floor(answer.receivedAt.getTime() / 1000);
  return tokens;
}

/** The response's refresh token, checked on its own: a rotated one is persisted before anything else is looked at. */
export function refreshTokenOf(answer: TokenEndpointAnswer): string | undefined {
  return tokenField(answer.body, 'refresh_token');
}

function tokenField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TOKEN_CHARS || /[^\x21-\x7e]/.test(value)) {
    throw invalid(`has a malformed ${field}`);
  }
  return value;
}

/** `expires_in` from the response; failing that, the access token's own `exp` when it is a JWT. */
function expiry(expiresIn: unknown, accessToken: string, receivedAt: Date): number | undefined {
  if (expiresIn !== undefined) {
    if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
      throw invalid('has an invalid expires_in');
    }
    return Math.floor(receivedAt.getTime() / 1000) + expiresIn;
  }
  try {
    const exp = decodeJwt(accessToken).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined; // an opaque access token without expires_in: refresh whenever asked
  }
}

function invalid(what: string): FieldKeyError {
  return new FieldKeyError('token_response_invalid', `The identity provider's token response ${what}.`);
}
