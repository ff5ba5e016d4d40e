/**
 * The cached JWKS of each issuer and the record of every fetch.
 *
 * Keys are identified by (issuer, RFC 7638 thumbprint, kid or ''), so keys without a `kid` are kept
 * too. Only public signing keys are stored (see public-jwk.ts; the table's CHECK enforces it again).
 *
 * - A `network` set is the issuer's word: keys in it are stored or refreshed (`last_seen_at`, and a
 *   key that had been removed is restored); stored keys missing from it, whatever their source, get
 *   `removed_at`. An empty network set therefore removes every key of the issuer.
 * - A `bundled` set (IT's `jwks.json`) only adds keys never seen before. It never removes a key,
 *   never restores a key the network removed, and leaves stored keys as they are, so re-importing
 *   the bundle at every start cannot bring a rotated-out key back.
 * - `keysFor` returns removed keys too, with `removedAt`, so the offline decision can deny them.
 * - Integrity (once `protect` has given the installation's record MAC, record-mac.ts): every key
 *   row written carries a MAC over its issuer, identity, key and state (migration 9); a row whose MAC
 *   fails (a key written into the cache with any SQLite tool) is never returned, so a token it signed
 *   is not verified offline, and the next JWKS fetch writes the issuer's real set again.
 *
 * Fetch records: at most FETCH_RECORDS_KEPT_PER_ISSUER rows per issuer are kept (the newest), plus
 * always the newest successful one, so a long run of failures cannot erase the JWKS's age.
 */
import type { JWK } from 'jose';
import type { Clock } from '../clock';
import type { CachedKey } from '../offline/cached-keys';
import { FieldKeyError } from '../../../shared/errors';
import type { Database, Statement } from '../../adapters/sqlite/database';
import type { MacField, RecordMac } from './record-mac';
import { fromMillis, fromMillisOrNull, toMillis, toMillisOrNull } from './instants';
import { toPublicJwk, type RefusedJwkReason } from './public-jwk';

export type KeySource = 'network' | 'bundled';

export type { CachedKey };

export interface JwksChange {
  added: number;
  restored: number;
  removed: number;
  unchanged: number;
  /** Entries not stored, with why: a symmetric key, an encryption key, or not a usable public JWK. */
  refused: { kid: string | null; reason: RefusedJwkReason }[];
  /** How many entries carried private members that were stripped (a misconfigured IdP or file). */
  strippedPrivate: number;
}

export type JwksFetchOutcome = 'ok' | 'not_modified' | 'network_error' | 'http_error' | 'invalid';

export interface JwksFetch {
  outcome: JwksFetchOutcome;
  /** The response's HTTP `Date`, when there was a response carrying one. */
  serverDate?: Date | null;
  etag?: string | null;
  /** Short, non-secret explanation (e.g. `HTTP 503`). Truncated to DETAIL_MAX_CHARS. */
  detail?: string | null;
}

export interface JwksFetchRecord {
  issuer: string;
  fetchedAt: Date;
  serverDate: Date | null;
  etag: string | null;
  outcome: JwksFetchOutcome;
  detail: string | null;
}

export const FETCH_RECORDS_KEPT_PER_ISSUER = 100;
const DETAIL_MAX_CHARS = 500;
const ETAG_MAX_CHARS = 512;

interface KeyRow {
  id: number;
  kid: string | null;
  alg: string | null;
  jwk: string;
  removed_at: number | null;
}

interface KeyRecordRow extends KeyRow {
  source: KeySource;
  first_seen_at: number;
  last_seen_at: number;
}

interface SignedKeyRow extends KeyRecordRow {
  issuer: string;
  thumbprint: string;
  mac: Buffer | null;
}

const keyFields = (r: SignedKeyRow): MacField[] => [r.id, r.issuer, r.kid, r.alg, r.thumbprint, r.jwk, r.source, r.removed_at];

/** A stored key with where it came from and when it was seen (for `fieldkey doctor`). */
export interface StoredKeyRecord {
  key: CachedKey;
  source: KeySource;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

interface FetchRow {
  issuer: string;
  fetched_at: number;
  server_date: number | null;
  etag: string | null;
  outcome: JwksFetchOutcome;
  detail: string | null;
}

export class JwksStore {
  private readonly statements;
  private mac: RecordMac | undefined;
  private signing:
    { row: Statement<[number], SignedKeyRow>; all: Statement<[], SignedKeyRow>; sign: Statement<[Buffer, number]> } | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.statements = {
      findKey: db.prepare<[string, string, string], KeyRow>(
        `SELECT id, kid, alg, jwk, removed_at FROM jwks_keys WHERE issuer = ? AND thumbprint = ? AND ifnull(kid, '') = ?`,
      ),
      insertKey: db.prepare<[string, string | null, string | null, string, string, KeySource, number, number]>(
        `INSERT INTO jwks_keys (issuer, kid, alg, thumbprint, jwk, source, first_seen_at, last_seen_at, removed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      ),
      refreshKey: db.prepare<[string | null, string, number, number]>(
        `UPDATE jwks_keys SET alg = ?, jwk = ?, source = 'network', last_seen_at = ?, removed_at = NULL WHERE id = ?`,
      ),
      activeKeyIds: db.prepare<[string], { id: number }>(`SELECT id FROM jwks_keys WHERE issuer = ? AND removed_at IS NULL`),
      removeKey: db.prepare<[number, number]>(`UPDATE jwks_keys SET removed_at = ? WHERE id = ?`),
      keysFor: db.prepare<[string], KeyRecordRow>(
        `SELECT id, kid, alg, jwk, removed_at, source, first_seen_at, last_seen_at FROM jwks_keys WHERE issuer = ? ORDER BY id`,
      ),
      insertFetch: db.prepare<[string, number, number | null, string | null, JwksFetchOutcome, string | null]>(
        `INSERT INTO jwks_fetches (issuer, fetched_at, server_date, etag, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      pruneFetches: db.prepare<{ issuer: string; keep: number }>(
        `DELETE FROM jwks_fetches WHERE issuer = :issuer
           AND id NOT IN (SELECT id FROM jwks_fetches WHERE issuer = :issuer ORDER BY id DESC LIMIT :keep)
           AND id IS NOT (SELECT max(id) FROM jwks_fetches WHERE issuer = :issuer AND outcome IN ('ok', 'not_modified'))`,
      ),
      lastSuccessfulFetch: db.prepare<[string], FetchRow>(
        `SELECT issuer, fetched_at, server_date, etag, outcome, detail FROM jwks_fetches
          WHERE issuer = ? AND outcome IN ('ok', 'not_modified') ORDER BY id DESC LIMIT 1`,
      ),
    };
  }

  /** Stores the keys of one JWKS (`keys` is the document's `keys` array). See the module comment. */
  async replaceIssuerKeys(issuer: string, keys: readonly unknown[], source: KeySource): Promise<JwksChange> {
    requireIssuer(issuer);
    if (!Array.isArray(keys)) throw new FieldKeyError('jwks_invalid', `The JWKS of ${issuer} has no "keys" array.`);
    const normalized = await Promise.all(keys.map((entry) => toPublicJwk(entry)));
    const change: JwksChange = { added: 0, restored: 0, removed: 0, unchanged: 0, refused: [], strippedPrivate: 0 };

    const store = this.db.transaction(() => {
      const now = toMillis(this.clock.now(), 'The current time');
      const present = new Set<number>();
      for (const key of normalized) {
        if (!key.ok) {
          change.refused.push({ kid: key.kid, reason: key.reason });
          continue;
        }
        if (key.strippedPrivate) change.strippedPrivate++;
        const row = this.statements.findKey.get(issuer, key.thumbprint, key.kid ?? '');
        const jwkJson = JSON.stringify(key.jwk);
        if (!row) {
          const inserted = this.statements.insertKey.run(issuer, key.kid, key.alg, key.thumbprint, jwkJson, source, now, now);
          present.add(Number(inserted.lastInsertRowid));
          change.added++;
        } else if (present.has(row.id)) {
          continue; // the same key twice in one document
        } else {
          present.add(row.id);
          if (source === 'network') {
            this.statements.refreshKey.run(key.alg, jwkJson, now, row.id);
            if (row.removed_at !== null) change.restored++;
            else change.unchanged++;
          } else {
            change.unchanged++;
          }
        }
      }
      if (source === 'network') {
        for (const { id } of this.statements.activeKeyIds.all(issuer)) {
          if (present.has(id)) continue;
          this.statements.removeKey.run(now, id);
          change.removed++;
        }
      }
    });
    store.immediate();
    if (this.mac) this.signIssuer(issuer);
    return change;
  }

  /**
   * From now on, sign every key row written and return only rows whose MAC holds. The rows already
   * there are signed once when no row carries a MAC yet (`created`: the key was just made, or the
   * table's MAC column was just added by migration 9); after that a row without a valid MAC is
   * someone else's. (Clearing every MAC with the key's owner's rights looks like that first time:
   * a limit docs/security.md names.)
   */
  protect(mac: RecordMac, created: boolean): void {
    this.mac = mac;
    this.signing = {
      row: this.db.prepare<[number], SignedKeyRow>(
        `SELECT id, issuer, kid, alg, thumbprint, jwk, source, first_seen_at, last_seen_at, removed_at, mac FROM jwks_keys WHERE id = ?`,
      ),
      all: this.db.prepare<[], SignedKeyRow>(
        `SELECT id, issuer, kid, alg, thumbprint, jwk, source, first_seen_at, last_seen_at, removed_at, mac FROM jwks_keys`,
      ),
      sign: this.db.prepare<[Buffer, number]>(`UPDATE jwks_keys SET mac = ? WHERE id = ?`),
    };
    const rows = this.signing.all.all();
    if (created || rows.every((row) => row.mac === null))
      for (const row of rows) this.signing.sign.run(mac.tag('jwks_key', keyFields(row)), row.id);
  }

  /**
   * Read-only, for `fieldkey doctor`: the issuer's key rows `protect(mac)` would not trust (a MAC that
   * fails, or none while other rows are signed). 0 while no row is signed yet (they would be adopted).
   */
  untrustedKeyCount(issuer: string, mac: RecordMac): number {
    const rows = this.db
      .prepare<[], SignedKeyRow>(
        `SELECT id, issuer, kid, alg, thumbprint, jwk, source, first_seen_at, last_seen_at, removed_at, mac FROM jwks_keys`,
      )
      .all();
    if (rows.every((row) => row.mac === null)) return 0;
    return rows.filter((row) => row.issuer === issuer && !mac.verify('jwks_key', keyFields(row), row.mac)).length;
  }

  /** Whether the row of `id` may be trusted: always before `protect`, then only with a valid MAC. */
  private trusted(id: number): boolean {
    if (!this.mac || !this.signing) return true;
    const row = this.signing.row.get(id);
    return row !== undefined && this.mac.verify('jwks_key', keyFields(row), row.mac);
  }

  /** Signs the issuer's rows this store just wrote (only ever after a verified fetch or import). */
  private signIssuer(issuer: string): void {
    const { mac, signing } = this;
    if (!mac || !signing) return;
    for (const row of signing.all.all()) {
      if (row.issuer === issuer) signing.sign.run(mac.tag('jwks_key', keyFields(row)), row.id);
    }
  }

  /** Imports IT's bundled JWKS document (`{ "keys": [...] }`): adds unseen keys only. */
  async importBundled(issuer: string, jwksDocument: unknown): Promise<JwksChange> {
    return this.replaceIssuerKeys(issuer, keysOf(issuer, jwksDocument), 'bundled');
  }

  /** Every stored key of the issuer, removed ones included (with `removedAt`), oldest first. */
  keysFor(issuer: string): CachedKey[] {
    return this.keyRecords(issuer).map((record) => record.key);
  }

  /** Like `keysFor`, with each key's source (network or bundled) and when it was first and last seen. */
  keyRecords(issuer: string): StoredKeyRecord[] {
    return this.statements.keysFor
      .all(issuer)
      .filter((row) => this.trusted(row.id))
      .map((row) => {
        const key: CachedKey = { jwk: JSON.parse(row.jwk) as JWK, removedAt: fromMillisOrNull(row.removed_at) };
        if (row.kid !== null) key.kid = row.kid;
        if (row.alg !== null) key.alg = row.alg;
        return { key, source: row.source, firstSeenAt: fromMillis(row.first_seen_at), lastSeenAt: fromMillis(row.last_seen_at) };
      });
  }

  /** Records one fetch attempt at the clock's time, and trims the issuer's old records. */
  recordFetch(issuer: string, fetch: JwksFetch): void {
    requireIssuer(issuer);
    const fetchedAt = toMillis(this.clock.now(), 'The current time');
    const serverDate = toMillisOrNull(fetch.serverDate, 'The server date');
    const etag = fetch.etag ?? null;
    if (etag !== null && etag.length > ETAG_MAX_CHARS) throw new FieldKeyError('invalid_argument', 'The JWKS ETag is too long.');
    const detail = fetch.detail == null ? null : fetch.detail.slice(0, DETAIL_MAX_CHARS);
    this.db.transaction(() => {
      this.statements.insertFetch.run(issuer, fetchedAt, serverDate, etag, fetch.outcome, detail);
      this.statements.pruneFetches.run({ issuer, keep: FETCH_RECORDS_KEPT_PER_ISSUER });
    })();
  }

  /** The newest fetch that produced a usable JWKS (`ok`, or `not_modified` confirming the cache). */
  lastSuccessfulFetch(issuer: string): JwksFetchRecord | undefined {
    const row = this.statements.lastSuccessfulFetch.get(issuer);
    if (!row) return undefined;
    return {
      issuer: row.issuer,
      fetchedAt: fromMillis(row.fetched_at),
      serverDate: fromMillisOrNull(row.server_date),
      etag: row.etag,
      outcome: row.outcome,
      detail: row.detail,
    };
  }
}

function requireIssuer(issuer: string): void {
  if (typeof issuer !== 'string' || issuer === '') throw new FieldKeyError('invalid_argument', 'An issuer is required.');
}

function keysOf(issuer: string, jwksDocument: unknown): unknown[] {
  if (typeof jwksDocument === 'object' && jwksDocument !== null && Array.isArray((jwksDocument as { keys?: unknown }).keys)) {
    return (jwksDocument as { keys: unknown[] }).keys;
  }
  throw new FieldKeyError('jwks_invalid', `The bundled JWKS for ${issuer} is not a JSON Web Key Set (an object with a "keys" array).`);
}
