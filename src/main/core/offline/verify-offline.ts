/**
 * The offline decision: from a cached token, the issuer's cached keys, the
 * policy and the clock records, decide `full`, `read-only` or `denied`. Pure apart from remembering
 * imported keys (key-import-cache.ts): no network, no file, no database, no global clock. It never
 * throws for a bad token or key: every problem is a `denied` result with a reason.
 *
 * Precedence: the first failing step decides, and each step runs only when all before it passed.
 *  1. `malformed`: longer than MAX_TOKEN_LENGTH (refused before any decoding), not three base64url
 *     segments, a header that is not a JSON object, `alg` not a string, `kid` present but not a
 *     string, or a `b64` member (JWTs never use unencoded payloads).
 *  2. `clock_rollback`: local now earlier than the last server time or the high-water mark by more
 *     than the policy's clock skew, or a clock reading that is not a valid time.
 *  3. `alg_not_allowed`: header `alg` outside the policy's allowed algorithms, or not an asymmetric
 *     algorithm FieldKey supports (`none` and HS* never pass, whatever the policy says).
 *  4. Key selection (key-selection.ts), from `alg` and `kid` only: `no_usable_keys`, then
 *     `unknown_kid` / `alg_not_allowed` (the named key cannot verify that alg) / `ambiguous_key`.
 *     Header members `jwk`, `jku`, `x5u`, `x5c` are never read.
 *  5. `bad_signature`: jose's compactVerify with the cached key and `alg` pinned. Nothing in the
 *     payload is trusted before this; a verified payload that is not a JSON object is `malformed`.
 *  6. Claims (claims-check.ts): `issuer_mismatch`, `audience_mismatch`, `missing_claim`,
 *     `malformed` (claim of the wrong type), `not_yet_valid` (`nbf` or `iat` beyond now + skew).
 *  7. `check_in_overdue`: now later than the last check-in + the check-in interval.
 *  8. `exp` (time-rules.ts): `full`/`valid` while now < exp + skew; `full`/`grace_period` while
 *     now < exp + grace + skew; then `read-only`/`expired` until exp + grace + `readOnlyHours` + skew
 *     (or, without `readOnlyHours`, until the check-in falls due); then `denied`/`expired`. The grace
 *     period applies to `exp` only.
 *
 * Token type (`policy.offlineToken`, the CLI's `--token-type`): an access token and an ID token are
 * checked alike: `aud` must contain the expected audience, and `exp`, `iat`, `sub` plus the policy's
 * required claims must be present. An ID token's `nonce` is not required offline: it binds the
 * token to its sign-in request and is checked once, online, when the token is received.
 */
import { compactVerify, decodeProtectedHeader, errors, type CryptoKey, type JWTPayload } from 'jose';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../policy/policy-types';
import type { CachedKey } from './cached-keys';
import { checkClaims, expiresAtMs } from './claims-check';
import type { ClockReadings, DecisionPolicy, DecisionReason, OfflineDecision } from './decision';
import { verificationKey } from './key-import-cache';
import { HMAC_EXPLANATION, quoteKid, selectKey } from './key-selection';
import { checkClockTrust, checkInDueAt, offlineRunway, runwayStage } from './time-rules';

/** Tokens longer than this (16 KiB) are refused as `malformed` before anything is decoded. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const SUPPORTED = new Set<string>(SUPPORTED_ALGORITHMS);
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Known = Pick<OfflineDecision, 'sub' | 'kid' | 'alg' | 'expiresAt' | 'fullUntil' | 'readOnlyUntil' | 'checkInDueAt'>;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

function algNotAllowedMessage(alg: string, policy: DecisionPolicy): string {
  if (alg === 'none') return 'The token is unsigned (alg "none"); only signed tokens are accepted.';
  if (/^HS\d+$/.test(alg)) return `The token is HMAC-signed (${alg}). ${HMAC_EXPLANATION}`;
  return `The token's algorithm ${JSON.stringify(alg.slice(0, 32))} is not allowed by policy (allowed: ${policy.allowedAlgorithms.join(', ')}).`;
}

/**
 * Decides a token offline. `keys` must be the cached keys of `policy.issuer` only.
 * See the precedence above; every result carries what is known of sub, kid, alg, expiresAt,
 * fullUntil, readOnlyUntil and checkInDueAt.
 */
export async function verifyOffline(
  token: string,
  keys: readonly CachedKey[],
  policy: DecisionPolicy,
  clock: ClockReadings,
): Promise<OfflineDecision> {
  const known: Known = {};
  const deny = (reason: DecisionReason, message: string, extra?: Partial<OfflineDecision>): OfflineDecision => ({
    decision: 'denied',
    reason,
    ...known,
    ...extra,
    message,
  });

  const due = checkInDueAt(clock.lastCheckIn, policy);
  if (due) known.checkInDueAt = due;

  // 1. Shape, before decoding anything.
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
    return deny('malformed', `The token is not a string of at most ${MAX_TOKEN_LENGTH} characters.`);
  }
  if (!COMPACT_JWS.test(token)) return deny('malformed', 'The token is not a compact JWS (three base64url segments).');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return deny('malformed', "The token's header is not a base64url-encoded JSON object.");
  }
  if (typeof header.kid === 'string') known.kid = header.kid;
  if (typeof header.alg === 'string') known.alg = header.alg;
  if (typeof header.alg !== 'string') return deny('malformed', "The token's header has no alg string.");
  if (header.kid !== undefined && typeof header.kid !== 'string') return deny('malformed', "The token's header kid is not a string.");
  if (header.b64 !== undefined) return deny('malformed', "The token's header has a b64 member; JWTs never use unencoded payloads.");
  const alg = header.alg;
  const kid = header.kid as string | undefined;

  // 2. Clock records (time-rules.ts).
  const trust = checkClockTrust(clock, policy);
  if (!trust.trusted) return deny('clock_rollback', trust.message);
  const now = clock.now;
  const nowMs = now.getTime();

  // 3. Algorithm: the policy's asymmetric algorithms only.
  if (!SUPPORTED.has(alg) || !policy.allowedAlgorithms.includes(alg)) return deny('alg_not_allowed', algNotAllowedMessage(alg, policy));

  // 4. Key: from the cache only.
  const selection = selectKey(keys, alg as Algorithm, kid, policy.issuer);
  if (!selection.ok) return deny(selection.reason, selection.message);
  const keyName = kid === undefined ? 'the cached key' : `the cached key ${quoteKid(kid)}`;

  // 5. Signature, by jose, before any claim is read.
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await verificationKey(selection.key, alg as Algorithm);
  } catch {
    return deny('no_usable_keys', `${capitalize(keyName)} could not be imported (invalid key material). Connect to refresh the key set.`);
  }
  let payloadBytes: Uint8Array;
  try {
    payloadBytes = (await compactVerify(token, cryptoKey, { algorithms: [alg] })).payload;
  } catch (error) {
    if (error instanceof errors.JWSInvalid || error instanceof errors.JOSENotSupported) {
      return deny('malformed', 'The token is not a valid JWS (unsupported critical header or undecodable segment).');
    }
    if (error instanceof TypeError) {
      // jose refuses the key itself, e.g. an RSA key shorter than 2048 bits.
      return deny(
        'no_usable_keys',
        `${capitalize(keyName)} cannot be used for ${alg} (for example an RSA key shorter than 2048 bits). Ask IT to check the IdP's signing key.`,
      );
    }
    return deny('bad_signature', `The token's signature does not verify with ${keyName}: it was altered or signed by another key.`);
  }
  let payload: JWTPayload;
  try {
    const parsed: unknown = JSON.parse(utf8.decode(payloadBytes));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not an object');
    payload = parsed as JWTPayload;
  } catch {
    return deny('malformed', "The token's payload is not a JSON object.");
  }

  // 6. Claims.
  if (typeof payload.sub === 'string') known.sub = payload.sub;
  const expMs = expiresAtMs(payload);
  const runway = expMs === undefined ? undefined : offlineRunway(expMs, policy, known.checkInDueAt);
  if (runway) {
    known.expiresAt = new Date(expMs!);
    const fullUntil = validDate(runway.fullUntilMs);
    if (fullUntil) known.fullUntil = fullUntil;
    const readOnlyUntil = runway.readOnlyUntilMs === undefined ? undefined : validDate(runway.readOnlyUntilMs);
    if (readOnlyUntil) known.readOnlyUntil = readOnlyUntil;
  }
  const claims = checkClaims(payload, policy, nowMs);
  if (!claims.ok)
    return deny(claims.reason, claims.message, claims.missingClaim === undefined ? undefined : { missingClaim: claims.missingClaim });

  // 7. Check-in, and 8. the runway past exp (time-rules.ts).
  const stage = runwayStage(nowMs, runway ?? offlineRunway(claims.expiresAtMs, policy, known.checkInDueAt), policy);
  const expired = known.expiresAt!.toISOString();
  const fullUntil = known.fullUntil?.toISOString() ?? 'the grace period ends';
  switch (stage.reason) {
    case 'check_in_overdue':
      return deny(
        'check_in_overdue',
        `The mandatory online check-in was due at ${known.checkInDueAt!.toISOString()} (every ${policy.checkInIntervalDays} days). Connect to check in.`,
        { claims: payload },
      );
    case 'valid':
      return {
        decision: 'full',
        reason: 'valid',
        ...known,
        claims: payload,
        message: `Signed in offline as ${JSON.stringify(claims.sub)}; the token expires at ${expired}, full access offline until ${fullUntil}.`,
      };
    case 'grace_period':
      return {
        decision: 'full',
        reason: 'grace_period',
        ...known,
        claims: payload,
        message: `The token expired at ${expired}; full access continues offline through the grace period, until ${fullUntil}. Connect to renew it.`,
      };
    case 'expired':
      if (stage.tier === 'read-only') {
        const until = known.readOnlyUntil ? `until ${known.readOnlyUntil.toISOString()}` : 'until the next online check-in';
        return {
          decision: 'read-only',
          reason: 'expired',
          ...known,
          claims: payload,
          message: `The token expired at ${expired} and the ${policy.gracePeriodHours} h grace period is over: read-only access ${until}. Connect to restore full access.`,
        };
      }
      return deny(
        'expired',
        `The token expired at ${expired}; offline access ended at ${known.readOnlyUntil?.toISOString() ?? fullUntil} (the grace period and any read-only period are over). Connect to check in.`,
        { claims: payload },
      );
  }
}
