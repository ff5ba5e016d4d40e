/**
 * The OAuth client's parts wired for one policy (src/main/core/oauth): HTTP through the injected fetch,
 * discovery with its SQLite cache, the JWKS sync, the time records every exchange feeds, the
 * revocation queue in the OS keychain, and a cheap reachability probe for the network watch.
 */
import type { Clock } from '../clock';
import { discover, discoveryUrlFor, type ProviderMetadata } from '../oauth/discovery';
import { send, type FetchFn, type HttpOptions } from '../oauth/http-client';
import { JwksSync } from '../oauth/jwks-sync';
import { Refresher, type RefreshableSession } from '../oauth/refresh';
import { RevocationQueue } from '../oauth/revocation-queue';
import type { SignInDeps } from '../oauth/sign-in';
import { signOut, type SignOutDeps, type SignOutOutcome } from '../oauth/sign-out';
import type { Policy } from '../policy/policy-types';
import type { SecretStore } from '../secrets/secret-store';
import type { SessionTokens } from '../secrets/session-tokens';
import type { Database } from '../../adapters/sqlite/database';
import { DiscoveryCache } from '../records/discovery-cache';
import { JwksStore } from '../records/jwks-store';
import type { RecordMac } from '../records/record-mac';
import { TimeRecords } from '../records/time-records';

export interface IdpClientDeps {
  policy: Policy;
  db: Database;
  clock: Clock;
  fetch: FetchFn;
  secrets: SecretStore;
  /** Per-request timeout (default: the HTTP client's). */
  timeoutMs?: number;
}

export class IdpClient {
  readonly policy: Policy;
  readonly http: HttpOptions;
  readonly discoveryCache: DiscoveryCache;
  readonly jwks: JwksSync;
  readonly times: TimeRecords;
  readonly revocations: RevocationQueue;
  private readonly clock: Clock;
  private readonly keyStore: JwksStore;

  constructor(deps: IdpClientDeps) {
    this.policy = deps.policy;
    this.clock = deps.clock;
    this.http = { fetch: deps.fetch, ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}) };
    this.discoveryCache = new DiscoveryCache(deps.db, deps.clock);
    this.times = new TimeRecords(deps.db);
    this.revocations = new RevocationQueue(deps.secrets, deps.clock);
    this.keyStore = new JwksStore(deps.db, deps.clock);
    this.jwks = new JwksSync({
      policy: deps.policy,
      http: this.http,
      clock: deps.clock,
      store: this.keyStore,
      jwksUri: async () => (await this.metadata()).jwksUri,
    });
  }

  /**
   * Signs and checks the records a same-user attacker could edit: the clock records and the cached
   * signing keys, under the installation's record MAC (records/record-mac.ts).
   */
  protectRecords(mac: RecordMac, created: boolean): void {
    this.times.protect(mac, created);
    this.keyStore.protect(mac, created);
  }

  /** The IdP's endpoints: discovery online, the cached document offline, or the policy's. */
  metadata = (): Promise<ProviderMetadata> => discover({ policy: this.policy, http: this.http, cache: this.discoveryCache });

  signInDeps(openExternal: (url: string) => Promise<void>): SignInDeps {
    return {
      policy: this.policy,
      http: this.http,
      clock: this.clock,
      discoveryCache: this.discoveryCache,
      jwks: this.jwks,
      recorder: this.times,
      openExternal,
    };
  }

  signOutDeps(): SignOutDeps {
    return { policy: this.policy, http: this.http, metadata: this.metadata, queue: this.revocations };
  }

  refresher(session: RefreshableSession, wipe: () => Promise<void>): Refresher {
    return new Refresher({
      policy: this.policy,
      http: this.http,
      clock: this.clock,
      metadata: this.metadata,
      signingKeys: this.jwks,
      recorder: this.times,
      session,
      wipe,
    });
  }

  /**
   * Revokes the refresh token of a sign-in that was never sealed (abandoned PIN set-up, wrong
   * account): queued in the keychain first, sent now or on the next connection.
   */
  revokeUnsealed(tokens: SessionTokens): Promise<SignOutOutcome> {
    return signOut(this.signOutDeps(), { refreshToken: tokens.refreshToken, wipe: async () => undefined });
  }

  /** Queues the revocation only (shutting down: it is sent at the next start with a connection). */
  async queueRevocation(tokens: SessionTokens): Promise<void> {
    if (tokens.refreshToken)
      await this.revocations.enqueue({ issuer: this.policy.issuer, clientId: this.policy.clientId, refreshToken: tokens.refreshToken });
  }

  /** True when the IdP answers its discovery URL (or, without one, its JWKS URL) with anything below 500. */
  async probe(): Promise<boolean> {
    const url = discoveryUrlFor(this.policy) ?? this.policy.endpoints?.jwks;
    if (url === undefined) return false;
    try {
      const response = await send(this.http, url, { method: 'GET', headers: { accept: 'application/json' } }, 'reachability probe');
      await response.body?.cancel();
      return response.status < 500;
    } catch {
      return false;
    }
  }
}
