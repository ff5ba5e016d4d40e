/**
 * Sign-out (DESIGN.md section 1, step 5): the refresh token is revoked at the IdP (RFC 7009) and the
 * local session is wiped either way.
 *
 * Order, so that neither a crash nor a missing connection loses the revocation:
 *  1. the revocation is queued in the OS keychain (revocation-queue.ts);
 *  2. the local session is wiped (the injected `wipe`, e.g. `vault.wipeSession(accountId)`);
 *  3. the revocation is sent; once sent (or refused for good) it leaves the queue. Without a
 *     connection it stays queued and `flushRevocations` sends it on the next connection.
 * If the keychain cannot take the queue entry, the revocation is tried directly and the session is
 * wiped anyway.
 */
import { isFieldKeyError } from '../../../shared/errors';
import type { Policy } from '../policy/policy-types';
import type { ProviderMetadata } from './discovery';
import type { HttpOptions } from './http-client';
import { revokeRefreshToken } from './revocation';
import type { FlushResult, RevocationQueue } from './revocation-queue';

export interface SignOutDeps {
  policy: Pick<Policy, 'issuer' | 'clientId'>;
  http: HttpOptions;
  /** The IdP's endpoints (discovery, falling back to the cache). */
  metadata: () => Promise<ProviderMetadata>;
  queue: RevocationQueue;
}

/**
 * `no_token`: the session had no refresh token (only wiped). `revoked`: the IdP confirmed. `queued`: no connection; it will be sent later. `refused`: the IdP
 * refused (e.g. `unsupported_token_type`); `not_supported`: the IdP has no revocation endpoint;
 * `not_queued`: the keychain could not hold it and the IdP could not be reached (nothing pending).
 */
export type SignOutOutcome = 'no_token' | 'revoked' | 'queued' | 'refused' | 'not_supported' | 'not_queued';

export async function signOut(deps: SignOutDeps, session: { refreshToken: string | undefined; wipe: () => Promise<void> }): Promise<SignOutOutcome> {
  const { refreshToken } = session;
  if (!refreshToken) {
    await session.wipe();
    return 'no_token';
  }
  let entry: string | undefined;
  try {
    entry = await deps.queue.enqueue({ issuer: deps.policy.issuer, clientId: deps.policy.clientId, refreshToken });
  } catch {
    entry = undefined; // keychain trouble: try to revoke directly below
  }
  await session.wipe();

  const outcome = await sendNow(deps, refreshToken);
  // A leftover entry is harmless: revoking a revoked token is a 200 at the next flush.
  if (entry !== undefined && outcome !== 'queued') await deps.queue.remove(entry).catch(() => undefined);
  if (entry === undefined && outcome === 'queued') return 'not_queued';
  return outcome;
}

/** Sends every queued revocation for the configured issuer (call after any successful online contact and at start). */
export async function flushRevocations(deps: SignOutDeps): Promise<FlushResult> {
  let endpoint: string | undefined;
  try {
    endpoint = (await deps.metadata()).revocationEndpoint;
  } catch (error) {
    if (isFieldKeyError(error, 'offline') || isFieldKeyError(error, 'idp_unavailable')) return { sent: 0, dropped: 0, kept: (await deps.queue.pending()).length };
    throw error;
  }
  return deps.queue.flush(deps.policy, async (item) => {
    if (!endpoint) return; // the IdP cannot revoke: nothing to wait for
    await revokeRefreshToken(deps.http, { revocationEndpoint: endpoint, clientId: item.clientId, refreshToken: item.refreshToken });
  });
}

async function sendNow(deps: SignOutDeps, refreshToken: string): Promise<Exclude<SignOutOutcome, 'not_queued' | 'no_token'>> {
  try {
    const endpoint = (await deps.metadata()).revocationEndpoint;
    if (!endpoint) return 'not_supported';
    await revokeRefreshToken(deps.http, { revocationEndpoint: endpoint, clientId: deps.policy.clientId, refreshToken });
    return 'revoked';
  } catch (error) {
    // No connection, or endpoints that cannot be known right now: it stays queued for the next flush.
    return isFieldKeyError(error, 'revocation_refused') ? 'refused' : 'queued';
  }
}
