/**
 * Refreshing an unlocked session's tokens.
 *
 * - Single-flight: any number of concurrent callers share one request to the token endpoint, so a
 *   one-time-use refresh token is never sent twice.
 * - Persist first: as soon as a response carries a rotated refresh token, it is re-sealed into the
 *   session (with the old access and ID tokens) before anything else happens: the old refresh token
 *   is already used up at the IdP, so losing the new one would end the session. Then the new ID
 *   token is validated (same `iss` and `sub`, signature, claims) and, for `offlineToken: 'access'`,
 *   the new access token is checked as the offline decision will check it; only then are the new
 *   tokens sealed and returned. A response without a refresh token keeps the old one.
 * - `invalid_grant` means revoked, expired or reused: the account's sealed session is wiped (the
 *   injected `wipe`) and the error is `session_revoked`. A network failure (`offline`), a 5xx or
 *   any other non-OAuth answer (`idp_unavailable`) is not a revocation: nothing changes.
 * - Lost answers: the IdP may rotate the refresh token and its answer never arrive. A transport
 *   failure is retried once, with the same refresh token, within `refreshRetryWindowSeconds` of
 *   sending; an IdP with a reuse grace period at least that long then answers with new tokens.
 * - Every success records the server time and an online check-in (online-check-in.ts).
 */
import { decodeJwt } from 'jose';
import { FieldKeyError, isNoConnection } from '../../../shared/errors';
import { monotonicMs, type Clock } from '../clock';
import type { Policy } from '../policy/policy-types';
import type { SessionTokens } from '../secrets/session-tokens';
import type { ProviderMetadata } from './discovery';
import type { HttpOptions } from './http-client';
import { validateIdToken, type SigningKeys } from './id-token';
import { checkOfflineToken } from './offline-token-check';
import { recordExchange, type TimeRecorder } from './online-check-in';
import { postTokenRequest, TokenEndpointError, type TokenEndpointAnswer } from './token-endpoint';
import { parseTokenResponse, refreshTokenOf } from './token-response';

/** The unlocked session as the refresher needs it (`UnlockedSession` fits). */
export interface RefreshableSession {
  tokens(): SessionTokens;
  /** Seals the tokens and resolves once they are durably stored. */
  reseal(tokens: SessionTokens): Promise<void>;
}

export interface RefresherDeps {
  policy: Policy;
  http: HttpOptions;
  clock: Clock;
  /** The IdP's endpoints (discovery, falling back to the cache). */
  metadata: () => Promise<ProviderMetadata>;
  signingKeys: SigningKeys;
  recorder: TimeRecorder;
  session: RefreshableSession;
  /** Wipes the account's sealed session (`vault.wipeSession(accountId)`); called on `invalid_grant`. */
  wipe: () => Promise<void>;
  /** Refresh at least this many seconds before the access token expires (default 60). */
  marginSeconds?: number;
}

export const DEFAULT_REFRESH_MARGIN_SECONDS = 60;

/** Refresh once this share of the access token's lifetime has passed: an early refresh leaves the longest offline runway. */
export const REFRESH_AT_LIFETIME_FRACTION = 0.5;

export class Refresher {
  private inFlight: Promise<SessionTokens> | undefined;
  /** Requests sent to the token endpoint (for tests and the bench). */
  requests = 0;

  constructor(private readonly deps: RefresherDeps) {}

  /**
   * When the access token should be refreshed: halfway through its lifetime (from `receivedAt`),
   * and never later than its expiry minus the margin; undefined if its expiry is unknown. Sessions
   * sealed before `receivedAt` was kept use the expiry minus the margin.
   */
  dueAt(): Date | undefined {
    const { expiresAt, receivedAt } = this.deps.session.tokens();
    if (typeof expiresAt !== 'number') return undefined;
    const latest = expiresAt - (this.deps.marginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS);
    const early =
      typeof receivedAt === 'number' && receivedAt < expiresAt
        ? receivedAt + (expiresAt - receivedAt) * REFRESH_AT_LIFETIME_FRACTION
        : latest;
    return new Date(Math.min(latest, early) * 1000);
  }

  /** The current tokens if the access token is not due for refresh, otherwise refreshed ones. */
  async ensureFresh(): Promise<SessionTokens> {
    const due = this.dueAt();
    if (!this.inFlight && due !== undefined && this.deps.clock.now().getTime() < due.getTime()) return this.deps.session.tokens();
    return this.refresh();
  }

  /** Refreshes now; concurrent callers share one request. See the module comment for the errors. */
  refresh(): Promise<SessionTokens> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves when no refresh is in flight (lock the session only after this, or a rotated token may be lost). */
  async idle(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /**
   * Sends the refresh; a transport failure (no answer, a broken answer, 5xx) within
   * `refreshRetryWindowSeconds` of sending is retried once with the same refresh token. The IdP may
   * have rotated the token before the answer was lost; inside its reuse grace period the retry gets
   * new tokens, outside it the retry is a reuse (`invalid_grant`) as the next refresh would be. The
   * retry is never sent if the session holds another refresh token by then.
   */
  private async postRefresh(tokenEndpoint: string, params: URLSearchParams, refreshToken: string): Promise<TokenEndpointAnswer> {
    const { http, clock, policy, session } = this.deps;
    const sentAt = monotonicMs(clock);
    this.requests++;
    try {
      return await postTokenRequest(http, clock, tokenEndpoint, params);
    } catch (error) {
      const withinWindow = monotonicMs(clock) - sentAt < policy.refreshRetryWindowSeconds * 1000;
      if (!isNoConnection(error) || !withinWindow || session.tokens().refreshToken !== refreshToken) throw error;
    }
    this.requests++;
    return postTokenRequest(http, clock, tokenEndpoint, params);
  }

  private async refreshOnce(): Promise<SessionTokens> {
    const { policy, session } = this.deps;
    const current = session.tokens();
    if (!current.refreshToken) {
      throw new FieldKeyError('no_refresh_token', 'This session has no refresh token; sign in online again.');
    }
    const metadata = await this.deps.metadata();
    const params = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current.refreshToken, client_id: policy.clientId });

    let answer;
    try {
      answer = await this.postRefresh(metadata.tokenEndpoint, params, current.refreshToken);
    } catch (error) {
      if (error instanceof TokenEndpointError && error.error === 'invalid_grant') {
        let wipeError: unknown;
        try {
          await this.deps.wipe();
        } catch (failure) {
          wipeError = failure;
        }
        throw new FieldKeyError(
          'session_revoked',
          'The identity provider no longer accepts this session (signed out, revoked, expired or used elsewhere). Sign in online again.',
          { cause: wipeError ?? error },
        );
      }
      throw error;
    }

    const rotated = refreshTokenOf(answer);
    const refreshToken = rotated ?? current.refreshToken;
    if (rotated !== undefined && rotated !== current.refreshToken) {
      // The old refresh token is spent: persist the new one before anything else can fail.
      await session.reseal({ ...current, refreshToken });
    }
    const received = parseTokenResponse(answer, { refreshToken: false, idToken: false });

    const now = this.deps.clock.now();
    let idTokenIat: number | undefined;
    let sub: string;
    if (received.idToken !== undefined) {
      const claims = await validateIdToken(
        received.idToken,
        { policy, now, ...(current.idToken !== undefined ? { previousIdToken: current.idToken } : {}) },
        this.deps.signingKeys,
      );
      idTokenIat = claims.iat;
      sub = claims.sub;
    } else {
      sub = subjectOf(current.idToken);
    }
    const next: SessionTokens = { ...current, ...received, refreshToken };
    if (received.idToken === undefined) next.idToken = current.idToken;
    if (received.expiresAt === undefined) delete next.expiresAt; // the old expiry belongs to the old access token
    const offlineToken = policy.offlineToken === 'id' ? received.idToken : received.accessToken;
    if (offlineToken !== undefined) await checkOfflineToken(offlineToken, { policy, now, keys: this.deps.signingKeys, subject: sub });

    await session.reseal(next);
    recordExchange(this.deps.recorder, { issuer: policy.issuer, sub, answer, ...(idTokenIat !== undefined ? { idTokenIat } : {}) });
    return next;
  }
}

/** The `sub` of the session's stored (already verified) ID token. */
function subjectOf(idToken: string | undefined): string {
  const sub = idToken ? safeDecode(idToken)?.sub : undefined;
  if (typeof sub !== 'string') throw new FieldKeyError('identity_changed', "The session's stored ID token cannot be read; sign in again.");
  return sub;
}

function safeDecode(token: string): ReturnType<typeof decodeJwt> | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}
