/**
 * The audit chain anchored outside the laptop: this installation's device id, the check of a
 * checkpoint the Field API holds against the local chain, and the stored "anchor mismatch" fact
 * (tables of migration 8).
 *
 * A checkpoint is a (seq, hash) the chain once had as its head. The local chain still holds it when
 * a row with that seq has that hash, or when the retention anchor is that seq and hash. A seq that
 * retention has already removed cannot be checked any more and counts as held: retention moves the
 * anchor, which the chain check verifies. Anything else means rows were removed from the end or
 * rewritten since the checkpoint was sent, and that is recorded once and kept.
 */
import type { Database } from '../../adapters/sqlite/database';
import { hasTable } from '../records/schema';
import { readAnchor, type AuditAnchor } from './audit-rows';

/** The Field API's `deviceId` pattern; the stored id (a UUID) always matches it. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The first checkpoint of the Field API found missing from the local chain. */
export interface AnchorMismatch {
  seq: number;
  hash: string;
  seenAt: Date;
}

/** This installation's device id; undefined on a database from before migration 8. */
export function readDeviceId(db: Database): string | undefined {
  if (!hasTable(db, 'installation')) return undefined;
  const id = db.prepare<[], { device_id: string }>(`SELECT device_id FROM installation WHERE id = 1`).get()?.device_id;
  return id !== undefined && DEVICE_ID_PATTERN.test(id) ? id : undefined;
}

/** The stored mismatch, if one was ever seen. */
export function readAnchorMismatch(db: Database): AnchorMismatch | undefined {
  if (!hasTable(db, 'audit_anchor_mismatch')) return undefined;
  const row = db
    .prepare<[], { server_seq: number; server_hash: string; seen_at: number }>(
      `SELECT server_seq, server_hash, seen_at FROM audit_anchor_mismatch WHERE id = 1`,
    )
    .get();
  return row ? { seq: row.server_seq, hash: row.server_hash, seenAt: new Date(row.seen_at) } : undefined;
}

/** Records a mismatch; the first one seen is kept. Returns the stored fact. */
export function recordAnchorMismatch(db: Database, checkpoint: AuditAnchor, seenAt: Date): AnchorMismatch {
  db.prepare<[number, string, number]>(
    `INSERT OR IGNORE INTO audit_anchor_mismatch (id, server_seq, server_hash, seen_at) VALUES (1, ?, ?, ?)`,
  ).run(checkpoint.seq, checkpoint.hash, seenAt.getTime());
  return readAnchorMismatch(db)!;
}

/** The chain's head: its newest row, or the retention anchor when it has none. */
export function readAuditHead(db: Database): AuditAnchor {
  return db.prepare<[], AuditAnchor>(`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).get() ?? readAnchor(db);
}

/** Whether the local chain still holds the checkpoint (see the module comment). */
export function chainHolds(db: Database, checkpoint: AuditAnchor): boolean {
  const anchor = readAnchor(db);
  if (checkpoint.seq < anchor.seq) return true;
  if (checkpoint.seq === anchor.seq) return checkpoint.hash === anchor.hash;
  return (
    db
      .prepare<[number, string], { n: number }>(`SELECT count(*) AS n FROM audit_events WHERE seq = ? AND hash = ?`)
      .get(checkpoint.seq, checkpoint.hash)?.n === 1
  );
}

/** A line for the CLI, the doctor and the log: what the mismatch means. */
export function describeAnchorMismatch(mismatch: AnchorMismatch): string {
  return (
    `the Field API's audit checkpoint (seq ${mismatch.seq}, seen ${mismatch.seenAt.toISOString()}) is not in the local audit log: ` +
    'rows were removed from its end or rewritten since it was sent'
  );
}
