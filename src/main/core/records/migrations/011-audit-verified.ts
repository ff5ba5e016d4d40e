/**
 * Migration 11: what the app's own check of the audit chain at start-up keeps (audit/audit-verified.ts).
 *
 * - `audit_verified`: at most one row, the verified checkpoint: the seq and hash of the chain's head
 *   when FieldKey last found the whole chain up to it intact, when that was (`verified_at`, INTEGER
 *   milliseconds since the Unix epoch), and a MAC over the three (label `audit_verified`,
 *   HMAC-SHA256 under the installation's record MAC key in the OS keychain, record-mac.ts). Each
 *   start checks only the rows after it. A row whose MAC does not match is not trusted: the next
 *   start checks the chain from the retention anchor instead.
 * - `audit_start_failure`: at most one row, the first problem the start-up check found (its seq, the
 *   kind of problem as `fieldkey audit verify` names it, a sentence saying what was found, the seq
 *   the check started from, when it was seen) and a MAC over them (label `audit_start_failure`). It is
 *   recorded once: while it is there, later starts do not check again or record it again. Nothing in
 *   FieldKey removes it.
 */
export const auditVerifiedSchema = `
CREATE TABLE audit_verified (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL,
  verified_at INTEGER NOT NULL,
  mac BLOB NOT NULL
) STRICT;

CREATE TABLE audit_start_failure (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  problem TEXT NOT NULL,
  detail TEXT NOT NULL,
  from_seq INTEGER NOT NULL CHECK (from_seq >= 0),
  seen_at INTEGER NOT NULL,
  mac BLOB NOT NULL
) STRICT;
`;
