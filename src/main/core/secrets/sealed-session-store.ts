/**
 * The `sealed_sessions` table: one sealed envelope per account (see session-crypto.ts for what each
 * column means). Prepared statements only; the vault decides when to read, write or delete.
 *
 * Beside the envelope each row keeps `offline_expires_at` (migration 5): the offline token's `exp`
 * in clear, advisory, for `fieldkey doctor` only, outside the row MAC (see offline-expiry.ts). Every
 * write of an envelope writes it too, so it always describes the tokens sealed in that row.
 */
import type { Database } from '../../adapters/sqlite/database';
import type { SealedEnvelope } from './session-crypto';

interface SealedRow {
  account_id: string;
  sealed_for: string;
  format: number;
  kdf_memory_kib: number;
  kdf_iterations: number;
  kdf_parallelism: number;
  kdf_salt: Buffer;
  device_key_id: Buffer;
  seal_salt: Buffer;
  nonce: Buffer;
  verifier: Buffer;
  ciphertext: Buffer;
  row_mac: Buffer;
  sealed_at: number;
  offline_expires_at: number | null;
}

type RowValues = [
  string,
  string,
  number,
  number,
  number,
  number,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  number,
  number | null,
];

/** What doctor may read of a sealed session without the PIN. */
export interface SealedSessionFacts {
  /** The offline token's `exp` (ms since the epoch) when it was sealed; null when unknown. */
  offlineExpiresAt: number | null;
}

const values = (accountId: string, e: SealedEnvelope, offlineExpiresAt: number | null): RowValues => [
  accountId,
  e.sealedFor,
  e.format,
  e.kdf.memoryKiB,
  e.kdf.iterations,
  e.kdf.parallelism,
  e.kdfSalt,
  e.deviceKeyId,
  e.sealSalt,
  e.nonce,
  e.verifier,
  e.ciphertext,
  e.rowMac,
  e.sealedAt,
  offlineExpiresAt,
];

function envelopeOf(r: SealedRow): SealedEnvelope {
  return {
    sealedFor: r.sealed_for,
    format: r.format,
    kdf: { memoryKiB: r.kdf_memory_kib, iterations: r.kdf_iterations, parallelism: r.kdf_parallelism },
    kdfSalt: r.kdf_salt,
    deviceKeyId: r.device_key_id,
    sealSalt: r.seal_salt,
    nonce: r.nonce,
    verifier: r.verifier,
    ciphertext: r.ciphertext,
    sealedAt: r.sealed_at,
    rowMac: r.row_mac,
  };
}

export class SealedSessionStore {
  private readonly selectOne;
  private readonly selectIds;
  private readonly upsert;
  private readonly replaceSame;
  private readonly remove;

  constructor(db: Database) {
    this.selectOne = db.prepare<[string], SealedRow>('SELECT * FROM sealed_sessions WHERE account_id = ?');
    this.selectIds = db.prepare<[], { account_id: string }>('SELECT account_id FROM sealed_sessions');
    this.upsert = db.prepare<RowValues>(
      `INSERT INTO sealed_sessions (account_id, sealed_for, format, kdf_memory_kib, kdf_iterations, kdf_parallelism,
         kdf_salt, device_key_id, seal_salt, nonce, verifier, ciphertext, row_mac, sealed_at, offline_expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET sealed_for = excluded.sealed_for, format = excluded.format,
         kdf_memory_kib = excluded.kdf_memory_kib, kdf_iterations = excluded.kdf_iterations,
         kdf_parallelism = excluded.kdf_parallelism, kdf_salt = excluded.kdf_salt, device_key_id = excluded.device_key_id,
         seal_salt = excluded.seal_salt, nonce = excluded.nonce, verifier = excluded.verifier,
         ciphertext = excluded.ciphertext, row_mac = excluded.row_mac, sealed_at = excluded.sealed_at,
         offline_expires_at = excluded.offline_expires_at`,
    );
    // A re-seal replaces the row only if it still belongs to the same PIN and device key.
    this.replaceSame = db.prepare<[Buffer, Buffer, Buffer, Buffer, Buffer, number, number | null, string, string, number, Buffer, Buffer]>(
      `UPDATE sealed_sessions SET verifier = ?, seal_salt = ?, nonce = ?, ciphertext = ?, row_mac = ?, sealed_at = ?,
         offline_expires_at = ?
       WHERE account_id = ? AND sealed_for = ? AND format = ? AND kdf_salt = ? AND device_key_id = ?`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM sealed_sessions WHERE account_id = ?');
  }

  get(accountId: string): SealedEnvelope | undefined {
    const r = this.selectOne.get(accountId);
    return r ? envelopeOf(r) : undefined;
  }

  accountIds(): Set<string> {
    return new Set(this.selectIds.all().map((r) => r.account_id));
  }

  /** Writes the envelope and the offline token's `exp` (offline-expiry.ts) of the tokens it seals. */
  put(accountId: string, envelope: SealedEnvelope, offlineExpiresAt: number | null): void {
    this.upsert.run(...values(accountId, envelope, offlineExpiresAt));
  }

  /** Replaces the sealed payload (and its offline `exp`) if the row was sealed with the same Argon2 salt and device key; false if not. */
  replaceIfSameKeys(accountId: string, e: SealedEnvelope, offlineExpiresAt: number | null): boolean {
    const changes = this.replaceSame.run(
      e.verifier,
      e.sealSalt,
      e.nonce,
      e.ciphertext,
      e.rowMac,
      e.sealedAt,
      offlineExpiresAt,
      accountId,
      e.sealedFor,
      e.format,
      e.kdfSalt,
      e.deviceKeyId,
    ).changes;
    return changes === 1;
  }

  delete(accountId: string): boolean {
    return this.remove.run(accountId).changes > 0;
  }
}

/**
 * The accounts with a sealed session and what may be read of it without the PIN, for doctor, which
 * opens the database read-only and never migrates it: `withExpiry` false (a schema before migration
 * 5) reads the ids only and reports every expiry as unknown.
 */
export function sealedSessionFacts(db: Database, withExpiry: boolean): Map<string, SealedSessionFacts> {
  const rows = withExpiry
    ? db
        .prepare<[], { account_id: string; offline_expires_at: number | null }>(
          'SELECT account_id, offline_expires_at FROM sealed_sessions',
        )
        .all()
    : db
        .prepare<[], { account_id: string }>('SELECT account_id FROM sealed_sessions')
        .all()
        .map((r) => ({ account_id: r.account_id, offline_expires_at: null }));
  return new Map(
    rows.map((r) => [r.account_id, { offlineExpiresAt: typeof r.offline_expires_at === 'number' ? r.offline_expires_at : null }]),
  );
}

/**
 * Every stored envelope by the account it is stored under, for doctor (a read-only database of any
 * schema: it prepares only this SELECT, never the store's writes).
 */
export function sealedEnvelopes(db: Database): Map<string, SealedEnvelope> {
  const rows = db.prepare<[], SealedRow>('SELECT * FROM sealed_sessions').all();
  return new Map(rows.map((r) => [r.account_id, envelopeOf(r)]));
}
