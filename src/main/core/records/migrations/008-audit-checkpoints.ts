/**
 * Migration 8: what anchoring the audit chain outside the laptop needs (audit/audit-checkpoints.ts).
 *
 * - `installation`: one row, this installation's device id, a random version 4 UUID made here, so
 *   the Field API keeps this laptop's audit checkpoints apart from other laptops of the same user.
 * - `audit_anchor_mismatch`: at most one row, the first time the Field API's checkpoint of this
 *   device was found missing from the local chain (the log was truncated or rewritten): the
 *   server's seq and hash and when it was seen. Nothing in FieldKey removes it.
 */
import { UUID_V4 } from './006-note-sync';

export const auditCheckpointsSchema = `
CREATE TABLE installation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  device_id TEXT NOT NULL CHECK (length(device_id) = 36)
) STRICT;
INSERT INTO installation (id, device_id) VALUES (1, ${UUID_V4});

CREATE TABLE audit_anchor_mismatch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  server_seq INTEGER NOT NULL CHECK (server_seq >= 0),
  server_hash TEXT NOT NULL,
  seen_at INTEGER NOT NULL
) STRICT;
`;
