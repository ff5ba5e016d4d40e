/**
 * API credentials for tests of the sync client and engine: real tokens of the demo IdP
 * (demo-idp-tokens.ts), refreshed for real at its token endpoint, with a single-flight refresh like
 * the account session's. Tests set the access decision, take the IdP "offline", and count refreshes.
 */
import { decodeJwt } from 'jose';
import type { AccountAccess } from '../../src/main/core/auth/auth-service-port';
import type { ApiCredentials } from '../../src/main/core/sync/api-client';
import type { DemoIdpTokens, DemoTokenSet } from './demo-idp-tokens';

export class TokenCredentials implements ApiCredentials {
  decision: AccountAccess = 'full';
  /** While true, a refresh fails as the network would (`offline`). */
  idpOffline = false;
  refreshes = 0;
  /** Every access token handed to the client (tests look for them in logs and errors). */
  readonly issued = new Set<string>();
  private set: DemoTokenSet;
  private accessToken: string;
  private expiresAt: number | undefined;
  private inFlight: Promise<{ ok: true } | { ok: false; offline: boolean; revoked: boolean }> | undefined;

  constructor(
    private readonly idp: DemoIdpTokens,
    set: DemoTokenSet,
  ) {
    this.set = set;
    this.accessToken = set.access_token;
    this.expiresAt = decodeJwt(set.access_token).exp!;
    this.issued.add(this.accessToken);
  }

  /** Replaces the access token the client sees (an expired or refused one) without refreshing. */
  override(accessToken: string, expiresAt: number | undefined): void {
    this.accessToken = accessToken;
    this.expiresAt = expiresAt;
  }

  tokens(): { accessToken?: string; expiresAt?: number } {
    return { accessToken: this.accessToken, ...(this.expiresAt !== undefined ? { expiresAt: this.expiresAt } : {}) };
  }

  refresh(): Promise<{ ok: true } | { ok: false; offline: boolean; revoked: boolean }> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  async access(): Promise<AccountAccess> {
    return this.decision;
  }

  private async refreshOnce(): Promise<{ ok: true } | { ok: false; offline: boolean; revoked: boolean }> {
    this.refreshes++;
    if (this.idpOffline) return { ok: false, offline: true, revoked: false };
    try {
      this.set = await this.idp.refresh(this.set.refresh_token);
    } catch {
      return { ok: false, offline: false, revoked: true };
    }
    this.accessToken = this.set.access_token;
    this.expiresAt = decodeJwt(this.accessToken).exp!;
    this.issued.add(this.accessToken);
    return { ok: true };
  }
}
