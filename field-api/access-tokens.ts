/**
 * Verifying the bearer access tokens the Field API is called with, the way any resource server in
 * front of FieldKey should (docs/field-api.md): the signature with the issuer's public key named by
 * the token's `kid` (the JWKS is fetched once, cached, and fetched again when a token names a kid it
 * does not hold, i.e. after a key rotation), an asymmetric algorithm from the allow-list (never
 * HS* or `none`), the exact `iss` and `aud`, `exp` required and `exp`/`nbf` with 60 s leeway, and a
 * `sub`. The `roles` claim (FusionAuth's application roles) decides what the caller may change.
 *
 * A refusal names what was wrong in words safe for a log or a response; it never carries the token.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** Asymmetric JWS algorithms only: a shared-secret (HS*) or unsigned (`none`) token is never accepted. */
export const ALLOWED_ALGS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
export const CLOCK_TOLERANCE_SECONDS = 60;
/** After fetching the JWKS, a token with an unknown kid waits this long before the next fetch. */
export const DEFAULT_JWKS_COOLDOWN_MS = 10_000;
const DISCOVERY_TIMEOUT_MS = 5_000;

export interface AccessTokenVerifierOptions {
  /** Exact `iss` expected. */
  issuer: string;
  /** Exact `aud` expected (FusionAuth: the application's client id). */
  audience: string;
  /** The issuer's JWKS; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl?: string;
  /** Default ALLOWED_ALGS; narrowing it is fine, adding a symmetric algorithm is refused. */
  algorithms?: readonly string[];
  /** Default DEFAULT_JWKS_COOLDOWN_MS. */
  jwksCooldownMs?: number;
}

export interface VerifiedAccessToken {
  sub: string;
  roles: readonly string[];
}

/** The token is not acceptable (answered 401 with `error="invalid_token"`). */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** The token could not be checked: the issuer's discovery document or JWKS is out of reach (503). */
export class VerificationUnavailableError extends Error {
  override readonly name = 'VerificationUnavailableError';
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<VerifiedAccessToken>;
}

async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: 'error' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = (await response.json()) as typeof document;
  } catch (error) {
    throw new VerificationUnavailableError(`the issuer's discovery document is out of reach (${url})`, { cause: error });
  }
  if (document.issuer !== issuer) {
    throw new VerificationUnavailableError(`the discovery document at ${url} names another issuer`);
  }
  if (typeof document.jwks_uri !== 'string') {
    throw new VerificationUnavailableError(`the discovery document at ${url} has no jwks_uri`);
  }
  return document.jwks_uri;
}

function describeClaimFailure(error: errors.JWTClaimValidationFailed): string {
  switch (error.claim) {
    case 'iss':
      return 'the token is from another issuer';
    case 'aud':
      return 'the token is for another audience';
    case 'nbf':
      return 'the token is not valid yet';
    default:
      return error.reason === 'missing' ? `the token has no ${error.claim} claim` : `the token's ${error.claim} claim is invalid`;
  }
}

/** Maps a jose failure to a refusal (or to "cannot check now"), in words that never hold the token. */
function refusal(error: unknown): Error {
  if (error instanceof InvalidTokenError || error instanceof VerificationUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError(describeClaimFailure(error));
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('the token is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWKSNoMatchingKey)
    return new InvalidTokenError("no key in the issuer's JWKS matches the token's kid and alg");
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return new InvalidTokenError("several keys in the issuer's JWKS match the token's header");
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('the token signature does not verify');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return new InvalidTokenError('the token is not a well-formed signed JWT');
  }
  // Everything else is the JWKS fetch: timeout, connection refused, non-200, unparsable key set.
  return new VerificationUnavailableError("the issuer's JWKS is out of reach or unusable", { cause: error });
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const algorithms = [...(options.algorithms ?? ALLOWED_ALGS)];
  const refused = algorithms.filter((alg) => !ALLOWED_ALGS.includes(alg));
  if (algorithms.length === 0 || refused.length > 0) {
    throw new Error(
      `algorithms must be a non-empty subset of ${ALLOWED_ALGS.join(', ')}; refused: ${refused.join(', ') || '(none given)'}`,
    );
  }
  const cooldownDuration = options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS;

  // Resolved once (discovery when no URL is configured); a failed discovery is tried again on the
  // next request instead of being remembered.
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const keys = (): Promise<JWTVerifyGetKey> => {
    keySet ??= (async () => {
      const jwksUrl = options.jwksUrl ?? (await discoverJwksUrl(options.issuer));
      return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration });
    })();
    keySet.catch(() => {
      keySet = undefined;
    });
    return keySet;
  };

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, await keys(), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
        });
        if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('the token has no subject');
        const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is string => typeof role === 'string') : [];
        return { sub: payload.sub, roles };
      } catch (error) {
        throw refusal(error);
      }
    },
  };
}
