/**
 * Validation of an ID token from the token endpoint (OpenID Connect Core 3.1.3.7 and 12.2) before
 * anything is stored. The key comes only from the issuer's cached JWKS, chosen by the offline
 * module's key selection (a token naming an unknown `kid` triggers one rate-limited JWKS fetch);
 * the signature is checked by jose; the claims by the offline module's claim rules plus the ID
 * token's own: `aud` contains the client id, `azp` (if present, or if there are several audiences)
 * is the client id, `exp` not passed (skew tolerated), the sign-in's `nonce`, and on refresh the
 * same `iss` and `sub` as the session's ID token.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { FieldKeyError } from '../../../shared/errors';
import type { CachedKey } from '../offline/cached-keys';
import { checkClaims } from '../offline/claims-check';
import { verificationKey } from '../offline/key-import-cache';
import { selectKey } from '../offline/key-selection';
import type { Algorithm, Policy } from '../policy/policy-types';

export type IdTokenProblem =
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'ambiguous_key'
  | 'no_usable_keys'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'azp_mismatch'
  | 'missing_claim'
  | 'nonce_mismatch';

/** The ID token failed validation; `problem` says which rule. Nothing from the token is stored. */
export class IdTokenError extends FieldKeyError {
  readonly problem: IdTokenProblem;

  constructor(problem: IdTokenProblem, message: string) {
    super('id_token_invalid', `The ID token was refused: ${message}`);
    this.problem = problem;
  }
}

/** The verified claims FieldKey uses from an ID token. */
export interface IdTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
}

/** The issuer's keys and the way to fetch them again when a token names an unknown one. */
export interface SigningKeys {
  keys(): CachedKey[];
  syncForUnknownKid(): Promise<unknown>;
}

export interface IdTokenExpectations {
  policy: Pick<Policy, 'issuer' | 'clientId' | 'allowedAlgorithms' | 'clockSkewSeconds' | 'gracePeriodHours' | 'checkInIntervalDays'>;
  now: Date;
  /** Sign-in: the nonce sent in the authorization request. */
  nonce?: string;
  /** Refresh: the session's current ID token; the new one must name the same `iss` and `sub`. */
  previousIdToken?: string;
}

export async function validateIdToken(idToken: string, expect: IdTokenExpectations, signingKeys: SigningKeys): Promise<IdTokenClaims> {
  const { policy } = expect;
  let alg: string | undefined;
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(idToken);
    alg = header.alg;
    kid = header.kid;
  } catch {
    throw new IdTokenError('malformed', 'it is not a signed JWT.');
  }
  if (typeof alg !== 'string' || !(policy.allowedAlgorithms as readonly string[]).includes(alg)) {
    throw new IdTokenError('alg_not_allowed', `its algorithm is not one the policy allows (${policy.allowedAlgorithms.join(', ')}).`);
  }
  if (kid !== undefined && typeof kid !== 'string') throw new IdTokenError('malformed', 'its kid is not a string.');

  let selection = selectKey(signingKeys.keys(), alg as Algorithm, kid, policy.issuer);
  if (!selection.ok && selection.reason !== 'ambiguous_key') {
    await signingKeys.syncForUnknownKid();
    selection = selectKey(signingKeys.keys(), alg as Algorithm, kid, policy.issuer);
  }
  if (!selection.ok) throw new IdTokenError(selection.reason, selection.message);

  let payload: JWTPayload;
  try {
    const key = await verificationKey(selection.key, alg as Algorithm);
    ({ payload } = await jwtVerify(idToken, key, { algorithms: [alg], currentDate: expect.now, clockTolerance: policy.clockSkewSeconds }));
  } catch (error) {
    throw joseProblem(error);
  }

  const claims = checkClaims(payload, { ...policy, audience: policy.clientId, requiredClaims: [] }, expect.now.getTime());
  if (!claims.ok) throw new IdTokenError(claims.reason === 'malformed' ? 'malformed' : claims.reason, claims.message);
  // checkClaims leaves `exp` to the decision's grace rules; an ID token gets none.
  if (payload.exp! * 1000 <= expect.now.getTime() - policy.clockSkewSeconds * 1000) {
    throw new IdTokenError('expired', 'it has expired.');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.azp !== undefined ? payload.azp !== policy.clientId : audiences.length > 1) {
    throw new IdTokenError('azp_mismatch', `it was issued to another party than the client ${JSON.stringify(policy.clientId)}.`);
  }

  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
    throw new IdTokenError('nonce_mismatch', 'it does not carry the nonce of this sign-in.');
  }
  if (expect.previousIdToken !== undefined) checkSameIdentity(payload, expect.previousIdToken);
  return payload as IdTokenClaims;
}

/**
 * OpenID Connect Core 12.2: a refreshed ID token names the same issuer and subject, and carries the
 * original nonce if it carries one. Anything else is `identity_changed` (never stored).
 */
function checkSameIdentity(payload: JWTPayload, previousIdToken: string): void {
  let previous: JWTPayload;
  try {
    previous = decodeJwt(previousIdToken); // verified when it was stored
  } catch {
    throw new FieldKeyError('identity_changed', "The session's stored ID token cannot be read; sign in again.");
  }
  if (payload.iss !== previous.iss || payload.sub !== previous.sub) {
    throw new FieldKeyError('identity_changed', 'The identity provider returned an ID token for another issuer or user; it was refused.');
  }
  if (payload.nonce !== undefined && payload.nonce !== previous.nonce) {
    throw new IdTokenError('nonce_mismatch', 'the refreshed ID token carries a nonce other than the original one.');
  }
}

function joseProblem(error: unknown): IdTokenError {
  if (error instanceof joseErrors.JWTExpired) return new IdTokenError('expired', 'it has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return new IdTokenError('not_yet_valid', `its ${error.claim} is in the future.`);
    return new IdTokenError('malformed', `its ${error.claim} claim is invalid.`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new IdTokenError('bad_signature', 'its signature does not verify with the cached key.');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new IdTokenError('alg_not_allowed', 'its algorithm is not allowed.');
  return new IdTokenError('malformed', 'it is not a valid signed JWT.');
}
