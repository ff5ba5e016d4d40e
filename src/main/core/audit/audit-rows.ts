/** Reading the audit tables as stored, for the log, the verifier and the CLI. */
import type { Database } from '../../adapters/sqlite/database';
import { GENESIS_HASH, type HashedFields } from './audit-hash';

export interface AuditAnchor {
  /** Seq of the last row removed by retention (0: nothing was ever removed). */
  seq: number;
  /** That row's hash (the genesis hash when nothing was removed). */
  hash: string;
}

/** A row exactly as stored (column names as in the table): the hashed fields, its seq and its hash. */
export interface StoredAuditRow extends HashedFields {
  seq: number;
  hash: string;
}

/** The retention anchor; undefined only if someone deleted its row. */
export function readAnchorRow(db: Database): AuditAnchor | undefined {
  return db.prepare<[], AuditAnchor>(`SELECT seq, hash FROM audit_anchor WHERE id = 1`).get();
}

export function readAnchor(db: Database): AuditAnchor {
  return readAnchorRow(db) ?? { seq: 0, hash: GENESIS_HASH };
}

export function readAllRows(db: Database): StoredAuditRow[] {
  return db
    .prepare<[], StoredAuditRow>(`SELECT seq, type, account, at_local, at_trusted, details, prev_hash, hash FROM audit_events ORDER BY seq`)
    .all();
}

/** Whether this database has the audit tables (migration 3 ran). */
export function hasAuditTables(db: Database): boolean {
  const row = db
    .prepare<[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('audit_events', 'audit_anchor')`)
    .get();
  return row?.n === 2;
}
