/**
 * The audit log: appends auth events to the hash-chained `audit_events`
 * table, reads them back for export, and applies retention.
 *
 * Each row records the device clock (`atLocal`) and the trusted-time estimate (`atTrusted`: last
 * server time + local time elapsed since it was seen; null when no server time was ever seen).
 *
 * Retention removes the oldest rows only, and moves the anchor to the last removed row so the
 * remaining chain still verifies. It refuses to run when the rows it would remove do not verify
 * (or the first kept row does not link to them), so retention can never erase the evidence of
 * tampering; a change among the kept rows stays in the log for `audit verify` (and, for rows written
 * since the last start, the start-up check of audit-verified.ts) to report. Days are counted back from the earlier of the device
 * clock and the trusted-time estimate (so a clock set forward cannot purge the log once a server
 * time has been seen since), and a row counts as old only when both its times are older than that;
 * only a leading run of old rows is removed, never a row after a newer one (so a clock set back
 * cannot age a new row out).
 */
import type { Clock } from '../clock';
import { FieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { fromMillis, fromMillisOrNull, toMillis } from '../records/instants';
import { TimeRecords } from '../records/time-records';
import type { RecordMac } from '../records/record-mac';
import { auditHash, canonicalDetails } from './audit-hash';
import { auditRowMac } from './audit-keying';
import { validateAccount, validateDetails, type AuditDetails, type AuditDetailsInput, type AuditEventType } from './audit-events';
import { readAnchor, readAnchorRow, type AuditAnchor, type StoredAuditRow } from './audit-rows';
import { headRewritten, recordTamper } from './audit-verified';
import { chainIntact, type AuditProblem } from './verify-chain';

export interface AuditEvent {
  seq: number;
  type: AuditEventType;
  account: string | null;
  atLocal: Date;
  atTrusted: Date | null;
  /** The stored details; the raw stored text if it is no longer a JSON object (a tampered row). */
  details: AuditDetails | string;
  prevHash: string;
  hash: string;
}

export interface AuditRetention {
  /** Remove rows older than this many days. */
  auditRetentionDays?: number;
  /** Keep at most this many newest rows. */
  auditRetentionRows?: number;
}

export interface PruneResult {
  pruned: number;
  anchor: AuditAnchor;
}

const DAY_MS = 86_400_000;

/** The insert of a keyed log (the `mac` column is migration 7's). */
function keyedInsert(db: Database) {
  return db.prepare<[number, string, string | null, number, number | null, string, string, string, Buffer]>(
    `INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
}

export interface KeyedLogOptions {
  /** Hears of a log changed under the running app (see `append`). */
  onRewritten?: ((problem: AuditProblem) => void) | undefined;
  /** Records in the keychain how far retention may move the anchor, before it does (see `applyRetention`). */
  allowRetention?: ((target: AuditAnchor) => Promise<void>) | undefined;
}

export class AuditLog {
  private readonly times: TimeRecords;
  private readonly statements;
  private keyed:
    | ({
        mac: RecordMac;
        mirror: { record(head: AuditAnchor): void };
        insert: ReturnType<typeof keyedInsert>;
      } & KeyedLogOptions)
    | undefined;
  /** The head this keyed log last wrote. */
  private lastHead: AuditAnchor | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.times = new TimeRecords(db);
    this.statements = {
      head: db.prepare<[], { seq: number; hash: string }>(`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`),
      rowAt: db.prepare<[number], AuditAnchor>(`SELECT seq, hash FROM audit_events WHERE seq = ?`),
      insert: db.prepare<[number, string, string | null, number, number | null, string, string, string]>(
        `INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      firstYoung: db.prepare<[number], { seq: number | null }>(
        `SELECT min(seq) AS seq FROM audit_events WHERE max(at_local, ifnull(at_trusted, at_local)) >= ?`,
      ),
      lastAtOrBefore: db.prepare<[number], { seq: number; hash: string }>(
        `SELECT seq, hash FROM audit_events WHERE seq <= ? ORDER BY seq DESC LIMIT 1`,
      ),
      moveAnchor: db.prepare<[number, string, number, number]>(
        `UPDATE audit_anchor SET seq = ?, hash = ?, pruned_at = ?, pruned_rows = pruned_rows + ? WHERE id = 1`,
      ),
      countThrough: db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM audit_events WHERE seq <= ?`),
      deleteThrough: db.prepare<[number]>(`DELETE FROM audit_events WHERE seq <= ?`),
    };
  }

  /**
   * From now on, every appended row carries its MAC under `mac` and its seq and hash go to `mirror`
   * (the keychain's copy of the head, audit-keying.ts). Call it before the first append of a run.
   */
  keyWith(mac: RecordMac, mirror: { record(head: AuditAnchor): void }, options: KeyedLogOptions = {}): void {
    this.keyed = { mac, mirror, insert: keyedInsert(this.db), ...options };
  }

  /**
   * Appends one event. Details are validated first (audit-events.ts): an unknown type fails with
   * `audit_event_unknown`, a refused detail with `audit_details_rejected`, and nothing is written.
   *
   * A keyed log remembers the head it last wrote. If the row at that seq is gone or has another hash
   * when the next event is appended, the log was truncated or rewritten while the app ran (the next
   * append would otherwise cover it, and the keychain's head would follow): the problem is stored as
   * the start-up check stores its own (audit-verified.ts), an `audit_tamper_detected` event is
   * appended first, and then the event asked for.
   */
  append(type: AuditEventType, options: { account?: string | null; details?: AuditDetailsInput } = {}): AuditEvent {
    const details = validateDetails(type, options.details);
    const account = validateAccount(options.account);
    let rewritten: AuditProblem | undefined;
    const write = this.db.transaction((): AuditEvent => {
      const local = this.clock.now();
      const keyed = this.keyed;
      const last = this.lastHead;
      rewritten = keyed && last ? headRewritten(last, this.statements.rowAt.get(last.seq), () => readAnchor(this.db)) : undefined;
      if (keyed && last && rewritten) {
        recordTamper(this.db, keyed.mac, rewritten, last.seq, local);
        const found = { seq: rewritten.seq, problem: rewritten.problem, fromSeq: last.seq };
        this.insert(local, 'audit_tamper_detected', null, validateDetails('audit_tamper_detected', found));
      }
      return this.insert(local, type, account, details);
    });
    const event = write.immediate();
    if (this.keyed) {
      this.lastHead = { seq: event.seq, hash: event.hash };
      this.keyed.mirror.record(this.lastHead);
      if (rewritten) this.keyed.onRewritten?.(rewritten);
    }
    return event;
  }

  /** Writes one row after the current head (inside append's transaction). */
  private insert(local: Date, type: AuditEventType, account: string | null, details: AuditDetails): AuditEvent {
    const detailsJson = canonicalDetails(details);
    const atLocal = toMillis(local, 'The current time');
    const trusted = this.times.trustedNow(local);
    const atTrusted = trusted === undefined ? null : trusted.getTime();
    const head = this.statements.head.get() ?? readAnchor(this.db);
    const seq = head.seq + 1;
    const fields = { type, account, at_local: atLocal, at_trusted: atTrusted, details: detailsJson, prev_hash: head.hash };
    const hash = auditHash(seq, fields);
    if (this.keyed)
      this.keyed.insert.run(seq, type, account, atLocal, atTrusted, detailsJson, head.hash, hash, auditRowMac(this.keyed.mac, seq, hash));
    else this.statements.insert.run(seq, type, account, atLocal, atTrusted, detailsJson, head.hash, hash);
    return { seq, type, account, atLocal: fromMillis(atLocal), atTrusted: fromMillisOrNull(atTrusted), details, prevHash: head.hash, hash };
  }

  /** The events in seq order, optionally only those whose device time is at or after `since`. */
  events(options: { since?: Date } = {}): Generator<AuditEvent> {
    return auditEvents(this.db, options);
  }

  /**
   * Applies retention (see the module comment). Returns how many rows were removed. `atMost`: never
   * past this seq (what `applyRetention` was allowed to remove).
   */
  prune(retention: AuditRetention, atMost?: number): PruneResult {
    validateRetention(retention);
    const run = this.db.transaction((): PruneResult => {
      const local = this.clock.now();
      const anchor = readAnchor(this.db);
      const last = this.pruneTarget(retention, local, atMost);
      if (!last) return { pruned: 0, anchor };
      // Only the rows about to go are checked (and that the first kept row links to them): what
      // retention would erase must verify, while the kept rows stay for a full `audit verify`. So
      // the cost follows the rows pruned, not the length of the log.
      const stored = readAnchorRow(this.db);
      if (!stored || !chainIntact(this.db, stored, last.seq)) {
        throw new FieldKeyError(
          'audit_tampered',
          'The audit log does not verify; retention will not remove rows until IT has examined it (fieldkey audit verify).',
        );
      }
      const count = this.statements.countThrough.get(last.seq)!.n;
      // Anchor first: the delete trigger only lets rows at or before the anchor go.
      this.statements.moveAnchor.run(last.seq, last.hash, local.getTime(), count);
      const removed = this.statements.deleteThrough.run(last.seq).changes;
      return { pruned: removed, anchor: { seq: last.seq, hash: last.hash } };
    });
    return run.immediate();
  }

  /**
   * Retention as the app applies it. A keyed log first has the row it would move the anchor to
   * recorded in the keychain (`allowRetention`, audit-keying.ts), and only then removes rows, never
   * past it: an anchor beyond the keychain's record was moved by someone else (rows removed from
   * the start of the log). A crash in between leaves the anchor behind the record, which is fine.
   * If the keychain write fails nothing is removed. Unkeyed, it is `prune`.
   */
  async applyRetention(retention: AuditRetention): Promise<PruneResult> {
    const allow = this.keyed?.allowRetention;
    if (!allow) return this.prune(retention);
    validateRetention(retention);
    const target = this.pruneTarget(retention, this.clock.now());
    if (!target) return { pruned: 0, anchor: readAnchor(this.db) };
    await allow(target);
    return this.prune(retention, target.seq);
  }

  /** The row retention would move the anchor to now (the last row it would remove), if any. */
  private pruneTarget(retention: AuditRetention, local: Date, atMost = Number.POSITIVE_INFINITY): AuditAnchor | undefined {
    const days = retention.auditRetentionDays;
    const rows = retention.auditRetentionRows;
    const anchor = readAnchor(this.db);
    const head = this.statements.head.get();
    if (!head) return undefined;
    let cut = anchor.seq;
    if (rows !== undefined) cut = Math.max(cut, head.seq - rows);
    if (days !== undefined) {
      const trusted = this.times.trustedNow(local);
      const reference = Math.min(toMillis(local, 'The current time'), trusted?.getTime() ?? Number.POSITIVE_INFINITY);
      const firstYoung = this.statements.firstYoung.get(reference - days * DAY_MS)?.seq ?? null;
      cut = Math.max(cut, firstYoung === null ? head.seq : firstYoung - 1);
    }
    cut = Math.min(cut, atMost);
    if (cut <= anchor.seq) return undefined;
    return this.statements.lastAtOrBefore.get(cut);
  }
}

function validateRetention(retention: AuditRetention): void {
  const days = retention.auditRetentionDays;
  const rows = retention.auditRetentionRows;
  if (days !== undefined && !(typeof days === 'number' && Number.isFinite(days) && days > 0)) {
    throw new FieldKeyError('invalid_argument', 'auditRetentionDays must be a positive number.');
  }
  if (rows !== undefined && !(Number.isSafeInteger(rows) && rows > 0)) {
    throw new FieldKeyError('invalid_argument', 'auditRetentionRows must be a positive integer.');
  }
}

/** Reads events without a clock (the CLI's export): seq order, device time at or after `since`. */
export function* auditEvents(db: Database, options: { since?: Date } = {}): Generator<AuditEvent> {
  const since = options.since === undefined ? Number.MIN_SAFE_INTEGER : toMillis(options.since, 'The since time');
  const rows = db.prepare<[number], StoredAuditRow>(
    `SELECT seq, type, account, at_local, at_trusted, details, prev_hash, hash FROM audit_events WHERE at_local >= ? ORDER BY seq`,
  );
  for (const row of rows.iterate(since)) yield toEvent(row);
}

function toEvent(row: StoredAuditRow): AuditEvent {
  return {
    seq: row.seq,
    type: row.type as AuditEventType,
    account: row.account,
    atLocal: fromMillis(row.at_local),
    atTrusted: fromMillisOrNull(row.at_trusted),
    details: parseDetails(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parseDetails(text: string): AuditDetails | string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as AuditDetails;
  } catch {
    // fall through: a tampered row keeps its raw text
  }
  return text;
}
