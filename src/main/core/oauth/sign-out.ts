/**
 * Sign-out: the refresh token is revoked at the IdP (RFC 7009) and the
 * local session is wiped either way.
 *
 * How it is revoked: through the RFC 7009 revocation endpoint when discovery (or the policy's
 * `endpoints`) gives one; otherwise, when the policy says the IdP is FusionAuth (`idp`), through
 * FusionAuth's Logout API (fusionauth-logout.ts); otherwise it cannot be (`not_supported`).
 * Queued revocations are sent the same way when they are flushed.
 *
 * Order, so that neither a crash nor a missing connection loses the revocation:
 *  1. the revocation is queued in the OS keychain (revocation-queue.ts);
 *  2. the local session is wiped (the injected `wipe`, e.g. `vault.wipeSession(accountId)`);
 *  3. the revocation is sent; once sent (or refused for good) it leaves the queue. Without a
 *     connection it stays queued and `flushRevocations` sends it on the next connection.
 * If the keychain cannot take the queue entry, the revocation is tried directly and the session is
 * wiped anyway.
 */
import { isFieldKeyError, isNoConnection } from '../../../shared/errors';
import type { Policy } from '../policy/policy-types';
import type { ProviderMetadata } from './discovery';
import type { HttpOptions } from './http-client';
import { fusionAuthLogoutUrl, logOutAtFusionAuth } from './fusionauth-logout';
import { revokeRefreshToken } from './revocation';
import type { FlushResult, RevocationQueue } from './revocation-queue';

export interface SignOutDeps {
  /** `idp` absent: a standards-only IdP (`oidc`). */
  policy: Pick<Policy, 'issuer' | 'clientId'> & Partial<Pick<Policy, 'idp'>>;
  http: HttpOptions;
  /** The IdP's endpoints (discovery, falling back to the cache). */
  metadata: () => Promise<ProviderMetadata>;
  queue: RevocationQueue;
}

/**
 * `no_token`: the session had no refresh token (only wiped). `revoked`: the IdP confirmed. `queued`: no connection; it will be sent later. `refused`: the IdP
 * refused (e.g. `unsupported_token_type`); `not_supported`: the IdP has no revocation endpoint (and is not FusionAuth);
 * `not_queued`: the keychain could not hold it and the IdP could not be reached (nothing pending).
 */
export type SignOutOutcome = 'no_token' | 'revoked' | 'queued' | 'refused' | 'not_supported' | 'not_queued';

export async function signOut(
  deps: SignOutDeps,
  session: { refreshToken: string | undefined; wipe: () => Promise<void> },
): Promise<SignOutOutcome> {
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
  let revoke: Revoke | undefined;
  try {
    revoke = revokerFor(deps, await deps.metadata());
  } catch (error) {
    if (isNoConnection(error)) return { sent: 0, dropped: 0, kept: (await deps.queue.pending()).length };
    throw error;
  }
  return deps.queue.flush(deps.policy, async (item) => {
    if (!revoke) return; // the IdP cannot revoke: nothing to wait for
    await revoke(item.refreshToken, item.clientId);
  });
}

/** Revokes one refresh token issued to `clientId`; rejects as revocation.ts's outcomes say. */
type Revoke = (refreshToken: string, clientId: string) => Promise<void>;

/** How this IdP revokes a refresh token (see the module comment), or undefined when it cannot. */
function revokerFor(deps: SignOutDeps, metadata: ProviderMetadata): Revoke | undefined {
  const { revocationEndpoint } = metadata;
  if (revocationEndpoint) return (refreshToken, clientId) => revokeRefreshToken(deps.http, { revocationEndpoint, clientId, refreshToken });
  if (deps.policy.idp === 'fusionauth') {
    const logoutEndpoint = fusionAuthLogoutUrl(metadata.tokenEndpoint);
    return (refreshToken) => logOutAtFusionAuth(deps.http, { logoutEndpoint, refreshToken });
  }
  return undefined;
}

async function sendNow(deps: SignOutDeps, refreshToken: string): Promise<Exclude<SignOutOutcome, 'not_queued' | 'no_token'>> {
  try {
    const revoke = revokerFor(deps, await deps.metadata());
    if (!revoke) return 'not_supported';
    await revoke(refreshToken, deps.policy.clientId);
    return 'revoked';
  } catch (error) {
    // No connection, or endpoints that cannot be known right now: it stays queued for the next flush.
    return isFieldKeyError(error, 'revocation_refused') ? 'refused' : 'queued';
  }
}
