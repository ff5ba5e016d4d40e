/**
 * Before a new token is stored, the token that will decide offline access (`policy.offlineToken`:
 * the access token by default, the ID token for IdPs with opaque access tokens) must pass the very
 * decision the app makes offline (verify-offline.ts) with a `full` result, and name the signed-in
 * user. Catching an unverifiable token here (opaque, other audience, HMAC-signed, ...) gives a clear
 * error at sign-in instead of a mysterious denial days later, offline.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { DecisionReason } from '../offline/decision';
import { verifyOffline } from '../offline/verify-offline';
import type { Policy } from '../policy/policy-types';
import type { SigningKeys } from './id-token';

export interface OfflineTokenCheck {
  policy: Policy;
  now: ReturnType<Clock['now']>;
  keys: SigningKeys;
  /** The `sub` of the verified ID token: the offline token must name the same user. */
  subject: string;
}

/** The token cannot be decided offline as FieldKey will have to; `reason` is the decision's. */
export class OfflineTokenError extends FieldKeyError {
  readonly reason: DecisionReason | 'subject_mismatch';

  constructor(reason: DecisionReason | 'subject_mismatch', message: string, tokenType: Policy['offlineToken']) {
    super(
      'offline_token_unverifiable',
      `The ${tokenType === 'id' ? 'ID' : 'access'} token FieldKey must verify offline was refused: ${message}`,
    );
    this.reason = reason;
  }
}

const KEY_REASONS: readonly DecisionReason[] = ['unknown_kid', 'no_usable_keys'];

export async function checkOfflineToken(token: string, check: OfflineTokenCheck): Promise<void> {
  const { policy, now, keys } = check;
  let decision = await verifyOffline(token, keys.keys(), policy, { now });
  if (decision.decision !== 'full' && KEY_REASONS.includes(decision.reason)) {
    await keys.syncForUnknownKid();
    decision = await verifyOffline(token, keys.keys(), policy, { now });
  }
  if (decision.decision !== 'full') throw new OfflineTokenError(decision.reason, decision.message, policy.offlineToken);
  if (decision.sub !== check.subject) {
    throw new OfflineTokenError('subject_mismatch', 'it names another user than the ID token.', policy.offlineToken);
  }
}
