/**
 * Migration 3: the append-only, hash-chained audit log (DESIGN.md section 8; src/main/core/audit/).
 *
 * - audit_events: one row per auth event. Instants are INTEGER milliseconds since the Unix epoch;
 *   `at_trusted` is the trusted-time estimate (NULL when no server time was ever seen). `details`
 *   is canonical JSON (sorted keys, scalar values). `hash` = SHA-256 over a canonical serialization
 *   of (seq, type, account, at_local, at_trusted, details, prev_hash) (src/main/core/audit/audit-hash.ts);
 *   `prev_hash` is the previous row's `hash`, or the anchor's for the first row.
 * - audit_anchor: one row, the seq and hash of the last row retention pruned (seq 0 and the genesis
 *   hash before any pruning), so the chain after pruning starts from a known point.
 *
 * The triggers stop accidents, not an attacker: rows cannot be updated, can be inserted only as the
 * next seq, and can be deleted only once the anchor has moved past them (retention); the anchor can
 * only move forward. Someone who controls the file can drop the triggers: the hash chain, checked by
 * `fieldkey audit verify`, is what detects tampering.
 */
export const auditSchema = `
CREATE TABLE audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL,
  pruned_at INTEGER,
  pruned_rows INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  account TEXT,
  at_local INTEGER NOT NULL,
  at_trusted INTEGER,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_at_local ON audit_events (at_local);

CREATE TRIGGER audit_events_append_only_insert BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_events), (SELECT seq FROM audit_anchor WHERE id = 1)) + 1
BEGIN
  SELECT RAISE(ABORT, 'audit_events: rows are appended with the next seq only');
END;

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > (SELECT seq FROM audit_anchor WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'audit_events: rows are deleted only by retention, after the anchor moved past them');
END;

CREATE TRIGGER audit_anchor_forward_only BEFORE UPDATE ON audit_anchor
WHEN NEW.id IS NOT OLD.id OR NEW.seq < OLD.seq
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor only moves forward');
END;

CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor cannot be deleted');
END;

CREATE TRIGGER audit_anchor_single_row BEFORE INSERT ON audit_anchor
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor has exactly one row');
END;
`;
