/**
 * Keeps the configured issuer's cached JWKS current:
 * - fetched at sign-in, when the last good fetch is older than `policy.jwksRefreshDays`, and when a
 *   token names an unknown `kid` (at most one request per UNKNOWN_KID_MIN_INTERVAL_MS);
 * - a failed fetch or a document that is not a usable key set (not JSON, no `keys`, malformed
 *   entries, or no usable signing key at all) changes nothing: the last good set stays;
 * - a good set replaces the issuer's keys; keys that disappeared are marked removed by the store,
 *   so tokens they signed are denied;
 * - `If-None-Match` with the last ETag; every attempt is recorded with its outcome, the server's
 *   `Date` and the ETag;
 * - IT's bundled `jwks.json` is imported (it only adds keys never seen, see jwks-store.ts).
 * Concurrent requests for a fetch share one request.
 */
import { readFile } from 'node:fs/promises';
import { FieldKeyError, isNoConnection } from '../../../shared/errors';
import type { Clock } from '../clock';
import { classifyKey, keysFromJwks, type CachedKey } from '../offline/cached-keys';
import type { Policy } from '../policy/policy-types';
import type { JwksChange, JwksFetch, JwksFetchOutcome, JwksFetchRecord, KeySource } from '../records/jwks-store';
import { readJsonObject, send, serverDate, type HttpOptions } from './http-client';

/** The JWKS repository (src/main/core/records/jwks-store.ts) as this module needs it. */
export interface JwksKeyStore {
  replaceIssuerKeys(issuer: string, keys: readonly unknown[], source: KeySource): Promise<JwksChange>;
  importBundled(issuer: string, jwksDocument: unknown): Promise<JwksChange>;
  keysFor(issuer: string): CachedKey[];
  recordFetch(issuer: string, fetch: JwksFetch): void;
  lastSuccessfulFetch(issuer: string): JwksFetchRecord | undefined;
}

export interface JwksSyncDeps {
  policy: Pick<Policy, 'issuer' | 'jwksRefreshDays'>;
  http: HttpOptions;
  clock: Clock;
  store: JwksKeyStore;
  /** The issuer's `jwks_uri` (from discovery, the cache or the policy). */
  jwksUri: () => Promise<string>;
}

export type JwksSyncReason = 'sign-in' | 'stale' | 'unknown-kid' | 'manual';

export interface JwksSyncResult {
  outcome: JwksFetchOutcome | 'rate_limited';
  /** What changed in the cache (`ok` only). */
  change?: JwksChange;
  /** Why a fetch did not produce a usable set (never contains key material). */
  detail?: string;
}

export const UNKNOWN_KID_MIN_INTERVAL_MS = 30_000;
/** A JWKS is small; a few dozen keys at most. */
const MAX_JWKS_BYTES = 128 * 1024;
const MAX_BUNDLED_BYTES = 128 * 1024;
const MAX_ETAG_CHARS = 512;

export class JwksSync {
  private inFlight: Promise<JwksSyncResult> | undefined;
  /** Local time of the last request this process sent (any reason), for the unknown-kid rate limit. */
  private lastAttemptAt: number | undefined;
  /** How many requests this instance sent (for tests and the bench). */
  requests = 0;

  constructor(private readonly deps: JwksSyncDeps) {}

  get issuer(): string {
    return this.deps.policy.issuer;
  }

  /** Every cached key of the issuer, removed ones included (the offline decision denies those). */
  keys(): CachedKey[] {
    return this.deps.store.keysFor(this.issuer);
  }

  /** True when there was never a good fetch, or the last one is older than the policy interval. */
  isStale(): boolean {
    const last = this.deps.store.lastSuccessfulFetch(this.issuer);
    if (!last) return true;
    return this.deps.clock.now().getTime() - last.fetchedAt.getTime() >= this.deps.policy.jwksRefreshDays * 86_400_000;
  }

  /** Fetches now (sign-in, manual). Never throws for network trouble: see `outcome`. */
  sync(reason: JwksSyncReason = 'manual'): Promise<JwksSyncResult> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.fetchOnce(reason).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Fetches when the cache is stale; undefined when it is fresh. */
  async syncIfStale(): Promise<JwksSyncResult | undefined> {
    return this.isStale() ? this.sync('stale') : undefined;
  }

  /**
   * A token names a `kid` the cache does not have (key rotation): fetch, unless a request went out
   * less than UNKNOWN_KID_MIN_INTERVAL_MS ago, so tokens with made-up `kid`s cannot flood the IdP.
   */
  syncForUnknownKid(): Promise<JwksSyncResult> {
    if (this.inFlight) return this.inFlight;
    const now = this.deps.clock.now().getTime();
    if (this.lastAttemptAt !== undefined && now - this.lastAttemptAt < UNKNOWN_KID_MIN_INTERVAL_MS && now >= this.lastAttemptAt) {
      return Promise.resolve({ outcome: 'rate_limited' });
    }
    return this.sync('unknown-kid');
  }

  /** Imports IT's bundled JWKS document (validated first); adds keys never seen before only. */
  async importBundled(document: unknown): Promise<JwksChange> {
    const keys = keysFromJwks(document);
    return this.deps.store.importBundled(this.issuer, { keys: keys.map((key) => key.jwk) });
  }

  /** Imports the bundled `jwks.json` at `path`; undefined when there is no such file. */
  async importBundledFile(path: string): Promise<JwksChange | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FieldKeyError('jwks_invalid', `Cannot read the bundled JWKS at ${path}.`, { cause });
    }
    if (Buffer.byteLength(text) > MAX_BUNDLED_BYTES) throw new FieldKeyError('jwks_invalid', `The bundled JWKS at ${path} is too large.`);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (cause) {
      throw new FieldKeyError('jwks_invalid', `The bundled JWKS at ${path} is not valid JSON.`, { cause });
    }
    return this.importBundled(document);
  }

  private async fetchOnce(_reason: JwksSyncReason): Promise<JwksSyncResult> {
    const issuer = this.issuer;
    const store = this.deps.store;
    let url: string;
    try {
      url = await this.deps.jwksUri();
    } catch (error) {
      if (!isNoConnection(error)) throw error;
      store.recordFetch(issuer, { outcome: 'network_error', detail: error.message });
      return { outcome: 'network_error', detail: error.message };
    }
    const last = store.lastSuccessfulFetch(issuer);
    const hasActiveKeys = this.keys().some((key) => key.removedAt == null);
    const previousEtag = hasActiveKeys ? (last?.etag ?? undefined) : undefined;

    this.lastAttemptAt = this.deps.clock.now().getTime();
    this.requests++;
    let response: Response;
    try {
      response = await send(
        this.deps.http,
        url,
        { headers: { accept: 'application/jwk-set+json, application/json', ...(previousEtag ? { 'if-none-match': previousEtag } : {}) } },
        'JWKS',
      );
    } catch (error) {
      const detail = error instanceof FieldKeyError ? error.message : 'network error';
      store.recordFetch(issuer, { outcome: 'network_error', detail });
      return { outcome: 'network_error', detail };
    }
    const date = serverDate(response) ?? null;
    const etag = boundedEtag(response.headers.get('etag'));

    if (response.status === 304 && previousEtag) {
      await response.body?.cancel();
      store.recordFetch(issuer, { outcome: 'not_modified', serverDate: date, etag: etag ?? previousEtag });
      return { outcome: 'not_modified' };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      const detail = `HTTP ${response.status}`;
      store.recordFetch(issuer, { outcome: 'http_error', serverDate: date, detail });
      return { outcome: 'http_error', detail };
    }

    let keys: CachedKey[];
    try {
      const document = await readJsonObject(response, 'JWKS', MAX_JWKS_BYTES);
      keys = keysFromJwks(document);
    } catch (error) {
      if (error instanceof FieldKeyError && error.code === 'offline') {
        store.recordFetch(issuer, { outcome: 'network_error', serverDate: date, detail: error.message });
        return { outcome: 'network_error', detail: error.message };
      }
      const detail = error instanceof FieldKeyError ? error.message : 'The JWKS is not valid JSON.';
      store.recordFetch(issuer, { outcome: 'invalid', serverDate: date, detail });
      return { outcome: 'invalid', detail };
    }
    const usable = keys.map(classifyKey).filter((c) => c.usable).length;
    if (usable === 0) {
      const detail = keys.some((key) => key.jwk.kty === 'oct')
        ? 'The JWKS holds only symmetric (HMAC) keys, which are never published and cannot verify tokens offline: the IdP must sign with an RSA, EC or Ed25519 key.'
        : 'The JWKS holds no usable signing key.';
      store.recordFetch(issuer, { outcome: 'invalid', serverDate: date, detail });
      return { outcome: 'invalid', detail };
    }
    const change = await store.replaceIssuerKeys(
      issuer,
      keys.map((key) => key.jwk),
      'network',
    );
    store.recordFetch(issuer, { outcome: 'ok', serverDate: date, etag: etag ?? null });
    return { outcome: 'ok', change };
  }
}

function boundedEtag(value: string | null): string | undefined {
  if (!value || value.length > MAX_ETAG_CHARS || /[^\x20-\x7e]/.test(value)) return undefined;
  return value;
}
