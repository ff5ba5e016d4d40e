/**
 * Writes that must survive a power cut, not just a crash of the process. The database runs in WAL
 * mode with `synchronous = NORMAL`, where a commit reaches the disk only at the next checkpoint;
 * for the few writes where that matters — an unlock attempt being counted, a sealed session (a
 * rotated one-time refresh token) being stored or erased — the connection is switched to
 * `synchronous = FULL` for that one commit, so the WAL is flushed to disk before it returns.
 */
import type { Database } from '../storage/database';

const FULL = 2;

export function durably<T>(db: Database, write: () => T): T {
  if (db.inTransaction) return write(); // the outer transaction's commit decides
  const previous = db.pragma('synchronous', { simple: true }) as number;
  if (previous >= FULL) return write();
  db.pragma(`synchronous = ${FULL}`);
  try {
    return write();
  } finally {
    db.pragma(`synchronous = ${Math.floor(previous)}`);
  }
}
