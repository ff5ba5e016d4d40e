/**
 * The `exp` of the token the policy verifies offline, stored in clear beside the sealed session
 * (`sealed_sessions.offline_expires_at`, migration 5) so `fieldkey doctor` can state the offline
 * decision without the PIN.
 *
 * It is read without verification: the tokens were verified before they were sealed, and the value
 * is advisory only. The app never decides from it; after an unlock the decision comes from the
 * sealed token itself, whose signature and claims verify-offline.ts checks again. The value is not a
 * secret (it only says when the token expires) and is not covered by the row MAC: editing it can
 * mislead doctor's report, never the app's decision. Nothing else of the token is kept.
 */
import { decodeJwt } from 'jose';
import type { Policy } from '../policy/policy-types';
import { isSessionTokens, type SessionTokens } from './session-tokens';

/** Which token is verified offline; `access` when unset, as in the offline decision (decision.ts). */
export type OfflineTokenChoice = Policy['offlineToken'] | undefined;

/** ms since the epoch of the offline token's `exp`; null when the token is absent, undecodable or has no usable `exp`. */
export function offlineExpiresAt(tokens: SessionTokens, offlineToken: OfflineTokenChoice): number | null {
  if (!isSessionTokens(tokens)) return null;
  const token = (offlineToken ?? 'access') === 'id' ? tokens.idToken : tokens.accessToken;
  if (typeof token !== 'string') return null;
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch {
    return null;
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  const ms = Math.floor(exp * 1000);
  return Number.isSafeInteger(ms) && Number.isFinite(new Date(ms).getTime()) ? ms : null;
}
