/**
 * The app's own check of the audit chain at start-up, incremental from a verified checkpoint (the
 * tables of migration 11), so tampering is found by the laptop itself and not only when IT runs
 * `fieldkey audit verify` or `fieldkey doctor`.
 *
 * The checkpoint is the chain's head (seq and hash) when a start last found the chain intact up to
 * it, with a MAC under the installation's record MAC key (record-mac.ts) over the seq, the hash and
 * the time. Each start checks, stopping at the first problem:
 * - the retention anchor is there, not beyond how far the keychain says retention moved it
 *   (audit-keying.ts), and no row sits at or before it;
 * - the checkpoint still holds: the row at its seq has its hash, or the anchor is that seq and hash;
 *   when retention has moved the anchor past it, the rows in between are gone (retention checked
 *   them before it removed them) and the check starts from the anchor instead;
 * - every row after it sits at the next seq, links to the one before, matches its hash, and carries
 *   a valid row MAC (rows without one are not judged, as in audit-keying.ts);
 * - the head mirrored in the keychain (audit-keying.ts): not beyond the newest row (the log was
 *   truncated), and the row at its seq has its hash (the chain was recomputed).
 * On success the checkpoint moves to the head. On a problem, the first problem ever found (its seq,
 * its kind as `audit verify` names it, the seq the check started from) is stored in
 * `audit_start_failure` with its own MAC and kept (a later one does not replace it), and the
 * checkpoint moves to the log's newest row all the same: the damage is on record, the next start
 * does not report it again, and the rows written after it are checked at every start as before, so
 * a second tampering is found too. A checkpoint that is missing (a new install, an upgrade) or whose
 * MAC does not match is replaced by one check from the anchor.
 *
 * What it does not see, by design: a change to a row at or before the checkpoint whose hash was not
 * recomputed (the chain up to the checkpoint is not read again; the row at the checkpoint still has
 * its hash). `fieldkey audit verify` and `fieldkey doctor` read the whole chain and report it. Rows
 * removed from the start with the anchor moved, as retention does, are told from retention by the
 * allowance retention keeps in the keychain (audit-keying.ts), once there is one.
 *
 * The work follows the rows written since the last start, plus a few lookups by seq: a log of any
 * length costs the same to check at start-up, except for the one check from the anchor.
 */
import type { Database } from '../../adapters/sqlite/database';
import type { RecordMac } from '../records/record-mac';
import { hasTable } from '../records/schema';
import { auditHash } from './audit-hash';
import { anchorProblem, auditRowMacValid, mirroredHeadProblem } from './audit-keying';
import { hasAuditTables, readAnchor, readAnchorRow, type AuditAnchor, type StoredAuditRow } from './audit-rows';
import type { AuditProblem, AuditProblemKind } from './verify-chain';

const CHECKPOINT_LABEL = 'audit_verified';
const FAILURE_LABEL = 'audit_start_failure';
const PROBLEM_KINDS: readonly AuditProblemKind[] = ['edited', 'deleted', 'inserted', 'reordered'];

/** The head a start last found the chain intact up to. */
export interface VerifiedCheckpoint extends AuditAnchor {
  verifiedAt: Date;
}

/** The first problem the start-up check found, as stored. */
export interface StartFailure extends AuditProblem {
  /** The seq the check started from (the checkpoint's, or the anchor's). */
  fromSeq: number;
  seenAt: Date;
}

export type CheckpointState = { kind: 'none' } | { kind: 'untrusted' } | { kind: 'trusted'; checkpoint: VerifiedCheckpoint };

/**
 * What one incremental check found: `from` is the seq it walked from (the checkpoint's, or the
 * anchor's), `rowsRead` the rows it walked (its work).
 */
export type IncrementalResult =
  { ok: true; from: number; rowsRead: number; head: AuditAnchor } | { ok: false; from: number; rowsRead: number; problem: AuditProblem };

export type StartCheck =
  | { outcome: 'skipped'; reason: 'no_tables' | 'no_key' }
  | {
      outcome: 'verified' | 'failed';
      /** Where the check started: the trusted checkpoint, or the anchor (none yet, or one not trusted). */
      start: 'checkpoint' | 'no_checkpoint' | 'untrusted_checkpoint';
      result: IncrementalResult;
    };

/** What the check needs from the keychain. */
export interface StartCheckKeys {
  /** The record MAC key; without it nothing is checked. */
  mac: RecordMac | undefined;
  /** The head mirrored in the keychain, when there is one. */
  head?: AuditAnchor | undefined;
  /** How far retention may have moved the anchor, as the keychain holds it (audit-keying.ts). */
  allowedAnchor?: AuditAnchor | undefined;
  /**
   * The key was created at this start: no row can carry a MAC under it, so row MACs are not judged
   * (rows written under a lost key would all fail) and the chain is checked by its hashes alone.
   */
  newKey?: boolean;
}

/** Whether this database has the tables of migration 11. */
export function hasVerifiedTables(db: Database): boolean {
  return hasTable(db, 'audit_verified') && hasTable(db, 'audit_start_failure');
}

/** The stored checkpoint, judged by its MAC under `mac`. */
export function readCheckpoint(db: Database, mac: RecordMac): CheckpointState {
  const row = db
    .prepare<[], { seq: number; hash: string; verified_at: number; mac: Buffer }>(
      `SELECT seq, hash, verified_at, mac FROM audit_verified WHERE id = 1`,
    )
    .get();
  if (!row) return { kind: 'none' };
  if (!mac.verify(CHECKPOINT_LABEL, [row.seq, row.hash, row.verified_at], row.mac)) return { kind: 'untrusted' };
  return { kind: 'trusted', checkpoint: { seq: row.seq, hash: row.hash, verifiedAt: new Date(row.verified_at) } };
}

function writeCheckpoint(db: Database, mac: RecordMac, head: AuditAnchor, at: Date): void {
  const verifiedAt = at.getTime();
  db.prepare<[number, string, number, Buffer]>(
    `INSERT OR REPLACE INTO audit_verified (id, seq, hash, verified_at, mac) VALUES (1, ?, ?, ?, ?)`,
  ).run(head.seq, head.hash, verifiedAt, mac.tag(CHECKPOINT_LABEL, [head.seq, head.hash, verifiedAt]));
}

interface FailureRow {
  seq: number;
  problem: string;
  detail: string;
  from_seq: number;
  seen_at: number;
  mac: Buffer;
}

function failureFields(row: Omit<FailureRow, 'mac'>): [number, string, string, number, number] {
  return [row.seq, row.problem, row.detail, row.from_seq, row.seen_at];
}

function readFailureRow(db: Database): FailureRow | undefined {
  return db.prepare<[], FailureRow>(`SELECT seq, problem, detail, from_seq, seen_at, mac FROM audit_start_failure WHERE id = 1`).get();
}

/**
 * The stored start-up failure, for doctor and `audit verify`; undefined when there is none (or the
 * database predates migration 11). Whether its MAC holds is not judged here: a row written by
 * anyone else is worth IT's look as much.
 */
export function readStartFailure(db: Database): StartFailure | undefined {
  if (!hasVerifiedTables(db)) return undefined;
  const row = readFailureRow(db);
  if (!row) return undefined;
  const problem = (PROBLEM_KINDS as readonly string[]).includes(row.problem) ? (row.problem as AuditProblemKind) : 'edited';
  return { seq: row.seq, problem, detail: row.detail, fromSeq: row.from_seq, seenAt: new Date(row.seen_at) };
}

function writeFailure(db: Database, mac: RecordMac, problem: AuditProblem, from: number, at: Date): void {
  const fields = failureFields({
    seq: problem.seq,
    problem: problem.problem,
    detail: problem.detail,
    from_seq: from,
    seen_at: at.getTime(),
  });
  db.prepare<[number, string, string, number, number, Buffer]>(
    `INSERT OR REPLACE INTO audit_start_failure (id, seq, problem, detail, from_seq, seen_at, mac) VALUES (1, ?, ?, ?, ?, ?, ?)`,
  ).run(...fields, mac.tag(FAILURE_LABEL, fields));
}

/** A line for the CLI, the doctor and the log: what the start-up check found, and when. */
export function describeStartFailure(failure: StartFailure): string {
  return (
    `FieldKey's start-up check of the audit chain (from seq ${failure.fromSeq}, ${failure.seenAt.toISOString()}) ` +
    `found seq ${failure.seq} ${failure.problem}: ${failure.detail}`
  );
}

type Row = StoredAuditRow & { mac: Buffer | null };

/**
 * Checks the chain after `from` (the checkpoint; undefined: from the anchor), see the module comment.
 * Reads only the rows after the start and a few rows by seq.
 */
export function verifyIncrementally(
  db: Database,
  from: AuditAnchor | undefined,
  keys: { mac?: RecordMac | undefined; head?: AuditAnchor | undefined; allowedAnchor?: AuditAnchor | undefined },
): IncrementalResult {
  const anchor = readAnchorRow(db);
  if (!anchor)
    return {
      ok: false,
      rowsRead: 0,
      from: from?.seq ?? 0,
      problem: { seq: 0, problem: 'deleted', detail: 'the retention anchor row is missing' },
    };
  const rowAt = db.prepare<[number], AuditAnchor>(`SELECT seq, hash FROM audit_events WHERE seq = ?`);
  const fail = (start: number, problem: AuditProblem, rowsRead = 0): IncrementalResult => ({ ok: false, rowsRead, from: start, problem });
  const moved = anchorProblem(anchor, keys.allowedAnchor);
  if (moved) return fail(from?.seq ?? anchor.seq, moved);

  const early = db.prepare<[number], { seq: number }>(`SELECT seq FROM audit_events WHERE seq <= ? ORDER BY seq LIMIT 1`).get(anchor.seq);
  if (early)
    return fail(from?.seq ?? anchor.seq, { seq: early.seq, problem: 'inserted', detail: 'the row sits at or before the retention anchor' });

  // Where the walk starts: the checkpoint, unless retention has moved the anchor to or past it.
  let start: AuditAnchor = anchor;
  if (from && from.seq === anchor.seq && from.hash !== anchor.hash) {
    return fail(from.seq, { seq: from.seq, problem: 'edited', detail: 'the retention anchor differs from the verified checkpoint' });
  }
  if (from && from.seq > anchor.seq) {
    const row = rowAt.get(from.seq);
    if (!row) {
      return fail(from.seq, {
        seq: from.seq,
        problem: 'deleted',
        detail: `the row at the verified checkpoint (seq ${from.seq}) is gone: rows were removed`,
      });
    }
    if (row.hash !== from.hash) {
      return fail(from.seq, {
        seq: from.seq,
        problem: 'edited',
        detail: 'the row at the verified checkpoint has another hash: it, or the chain up to it, was rewritten',
      });
    }
    start = from;
  }

  const rows = db.prepare<[number], Row>(
    `SELECT seq, type, account, at_local, at_trusted, details, prev_hash, hash, mac FROM audit_events WHERE seq > ? ORDER BY seq`,
  );
  let previous: AuditAnchor = start;
  let read = 0;
  for (const row of rows.iterate(start.seq)) {
    read++;
    let problem: AuditProblem | undefined;
    if (row.seq !== previous.seq + 1) {
      const gap =
        row.seq - 1 === previous.seq + 1 ? `row ${previous.seq + 1} is missing` : `rows ${previous.seq + 1}..${row.seq - 1} are missing`;
      problem = { seq: previous.seq + 1, problem: 'deleted', detail: gap };
    } else if (row.prev_hash !== previous.hash) {
      problem = { seq: row.seq, problem: 'edited', detail: 'the row does not link to the one before it: one of them was rewritten' };
    } else if (auditHash(row.seq, row) !== row.hash) {
      problem = { seq: row.seq, problem: 'edited', detail: 'the row no longer matches its hash' };
    } else if (keys.mac && row.mac !== null && !auditRowMacValid(keys.mac, row.seq, row.hash, row.mac)) {
      problem = {
        seq: row.seq,
        problem: 'edited',
        detail: "its MAC under this installation's key does not match: the row or its hash was rewritten",
      };
    }
    if (problem) return fail(start.seq, problem, read); // leaving the loop closes the statement's iterator
    previous = { seq: row.seq, hash: row.hash };
  }

  if (keys.head) {
    const head = keys.head;
    const at = head.seq === anchor.seq ? anchor : head.seq === previous.seq ? previous : rowAt.get(head.seq);
    const problem = mirroredHeadProblem(head, previous.seq, at);
    if (problem) return fail(start.seq, problem, read);
  }
  return { ok: true, from: start.seq, rowsRead: read, head: previous };
}

/**
 * The log as the running app left it: `expected` is the head it last wrote, `row` the row now at
 * its seq (if any), `anchor` reads the retention anchor. Undefined while that row still has that
 * hash (rows appended after it change nothing), or retention moved the anchor onto it; otherwise the
 * row was removed or rewritten under the running app.
 */
export function headRewritten(expected: AuditAnchor, row: AuditAnchor | undefined, anchor: () => AuditAnchor): AuditProblem | undefined {
  if (row) {
    if (row.hash === expected.hash) return undefined;
    return {
      seq: expected.seq,
      problem: 'edited',
      detail: 'while FieldKey ran, the newest row it had written was given another hash: the log was rewritten',
    };
  }
  const { seq, hash } = anchor();
  if (seq === expected.seq && hash === expected.hash) return undefined;
  return {
    seq: expected.seq,
    problem: 'deleted',
    detail: `while FieldKey ran, the row at seq ${expected.seq}, the newest it had written, was removed: the log was truncated`,
  };
}

/**
 * A problem found, by the start-up check or by the running app (`headRewritten`): it is stored
 * unless an authentic one already is (the first is kept), and the checkpoint moves to the log's
 * newest row, so the next start does not report it again and checks the rows after it. No-op
 * before migration 11.
 */
export function recordTamper(db: Database, mac: RecordMac, problem: AuditProblem, from: number, now: Date): void {
  if (!hasVerifiedTables(db)) return;
  const stored = readFailureRow(db);
  if (!stored || !mac.verify(FAILURE_LABEL, failureFields(stored), stored.mac)) writeFailure(db, mac, problem, from, now);
  writeCheckpoint(db, mac, newestRow(db) ?? readAnchor(db), now);
}

function newestRow(db: Database): AuditAnchor | undefined {
  return db.prepare<[], AuditAnchor>(`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).get();
}

/**
 * The start-up check (see the module comment): reads and moves the checkpoint, or stores the
 * failure. Synchronous and in one transaction, so no append lands between the check and the new
 * checkpoint. Throws only on a database error; the caller logs it and starts anyway.
 */
export function checkAtStart(db: Database, keys: StartCheckKeys, now: Date): StartCheck {
  if (!hasAuditTables(db) || !hasVerifiedTables(db)) return { outcome: 'skipped', reason: 'no_tables' };
  const mac = keys.mac;
  if (!mac) return { outcome: 'skipped', reason: 'no_key' };
  const run = db.transaction((): StartCheck => {
    const checkpoint = readCheckpoint(db, mac);
    const start = checkpoint.kind === 'trusted' ? 'checkpoint' : checkpoint.kind === 'none' ? 'no_checkpoint' : 'untrusted_checkpoint';
    const result = verifyIncrementally(db, checkpoint.kind === 'trusted' ? checkpoint.checkpoint : undefined, {
      mac: keys.newKey ? undefined : mac,
      head: keys.head,
      allowedAnchor: keys.allowedAnchor,
    });
    if (result.ok) writeCheckpoint(db, mac, result.head, now);
    else recordTamper(db, mac, result.problem, result.from, now);
    return { outcome: result.ok ? 'verified' : 'failed', start, result };
  });
  return run.immediate();
}
