/**
 * The audit chain keyed to this installation. The hash chain alone (verify-chain.ts) cannot tell a
 * log whose newest rows were removed, or whose every hash was recomputed after an edit, from an
 * honest one. Two things kept outside the database can:
 * - each row FieldKey writes carries a MAC of its seq and hash under the installation's record MAC
 *   key in the OS keychain (record-mac.ts), which whoever edits the file does not have;
 * - the newest seq and hash are mirrored in the keychain (`AUDIT_HEAD_ENTRY`) after every append.
 * `verifyKeyed` reports a row whose MAC does not match (`edited`), a mirrored head beyond the newest
 * row (`deleted`: the log was truncated) and a row at the mirrored seq with another hash (`edited`:
 * the chain was recomputed). Rows without a MAC (written before this, or while the keychain was
 * unavailable) are not judged by it; the mirrored head still covers them. The app's start-up check
 * (audit-verified.ts) makes the same checks on the rows since its last start.
 *
 * The start of the log is kept the same way: before retention moves the anchor, the seq and hash it
 * will move it to are written to the keychain (`AUDIT_RETENTION_ENTRY`, the allowance). An anchor
 * beyond the allowance, or at its seq with another hash, was moved outside FieldKey: rows were
 * removed from the start of the log (`deleted`), which a chain re-anchored on its first kept row
 * would otherwise hide. An installation whose anchor moved before there was an allowance adopts its
 * anchor once, at the first start that finds none (auth-service.ts).
 */
import { AUDIT_HEAD_ENTRY, AUDIT_RETENTION_ENTRY, type SecretStore } from '../secrets/secret-store';
import type { Database } from '../../adapters/sqlite/database';
import { readRecordMac, type RecordMac } from '../records/record-mac';
import { hasColumn } from '../records/schema';
import { readAnchor, type AuditAnchor } from './audit-rows';
import type { AuditProblem } from './verify-chain';

const HEAD_TEXT = /^(\d{1,15}) ([0-9a-f]{64})$/;

/** The MAC of one audit row: its seq and hash (which covers everything else in it). */
export function auditRowMac(mac: RecordMac, seq: number, hash: string): Buffer {
  return mac.tag('audit_event', [seq, hash]);
}

/** Whether a row's stored MAC is the MAC of its seq and hash under `mac`. */
export function auditRowMacValid(mac: RecordMac, seq: number, hash: string, stored: unknown): boolean {
  return mac.verify('audit_event', [seq, hash], stored);
}

/** The head last mirrored in the keychain, or undefined when none is (or it is not readable). */
export async function readMirroredHead(secrets: SecretStore): Promise<AuditAnchor | undefined> {
  return parseAnchorText(await secrets.get(AUDIT_HEAD_ENTRY));
}

/** How far retention may have moved the anchor, as the keychain holds it; undefined when it holds none. */
export async function readRetentionAllowance(secrets: SecretStore): Promise<AuditAnchor | undefined> {
  return parseAnchorText(await secrets.get(AUDIT_RETENTION_ENTRY));
}

/** Records in the keychain that retention may move the anchor to `target` (before it does). */
export function allowRetention(secrets: SecretStore, target: AuditAnchor): Promise<void> {
  return secrets.set(AUDIT_RETENTION_ENTRY, `${target.seq} ${target.hash}`);
}

function parseAnchorText(text: string | null): AuditAnchor | undefined {
  const match = HEAD_TEXT.exec(text ?? '');
  return match ? { seq: Number(match[1]), hash: match[2]! } : undefined;
}

/**
 * The log's anchor against the keychain's allowance: beyond it, rows were removed from the start
 * outside retention; at its seq with another hash, the anchor was rewritten. Undefined while the
 * anchor is at or before it (behind it: retention was interrupted before it removed the rows).
 */
export function anchorProblem(anchor: AuditAnchor, allowed: AuditAnchor | undefined): AuditProblem | undefined {
  if (!allowed) return undefined;
  if (anchor.seq > allowed.seq) {
    return {
      seq: anchor.seq,
      problem: 'deleted',
      detail: `the log starts after seq ${anchor.seq}, but retention only removed rows up to seq ${allowed.seq} (as the keychain holds): rows were removed from the start`,
    };
  }
  if (anchor.seq === allowed.seq && anchor.hash !== allowed.hash) {
    return { seq: anchor.seq, problem: 'edited', detail: 'the retention anchor differs from the one kept in the keychain' };
  }
  return undefined;
}

/** Writes each new head to the keychain after its append, one write at a time, the latest winning. */
export class AuditHeadMirror {
  private pending: AuditAnchor | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly secrets: SecretStore,
    private readonly onError: (error: unknown) => void,
  ) {}

  record(head: AuditAnchor): void {
    this.pending = head;
    this.running ??= this.drain();
  }

  /** Resolves once the latest head recorded is written (or failed). */
  settle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const head = this.pending;
      this.pending = undefined;
      try {
        await this.secrets.set(AUDIT_HEAD_ENTRY, `${head.seq} ${head.hash}`);
      } catch (error) {
        this.onError(error);
      }
    }
    this.running = undefined;
  }
}

export interface AuditKeys {
  /** The installation's record MAC key, when the keychain has it. */
  mac?: RecordMac | undefined;
  /** The head mirrored in the keychain, when there is one. */
  head?: AuditAnchor | undefined;
  /** How far retention may have moved the anchor, when the keychain holds it. */
  allowedAnchor?: AuditAnchor | undefined;
}

/** What only the installation's key and the mirrored head reveal (see the module comment). */
export function verifyKeyed(db: Database, keys: AuditKeys): AuditProblem[] {
  // One row at a time (constant memory): only the newest seq and the row at the mirrored head are kept.
  const rows = db.prepare<[], { seq: number; hash: string; mac: Buffer | null }>(`SELECT seq, hash, mac FROM audit_events ORDER BY seq`);
  const problems: AuditProblem[] = [];
  const { mac, head } = keys;
  let newest: number | undefined;
  let atHead: { seq: number; hash: string } | undefined;
  for (const row of rows.iterate()) {
    newest = row.seq;
    if (head && row.seq === head.seq && !atHead) atHead = { seq: row.seq, hash: row.hash };
    if (mac && row.mac !== null && !auditRowMacValid(mac, row.seq, row.hash, row.mac)) {
      problems.push({
        seq: row.seq,
        problem: 'edited',
        detail: "its MAC under this installation's key does not match: the row or its hash was rewritten",
      });
    }
  }
  const anchor = readAnchor(db);
  const moved = anchorProblem(anchor, keys.allowedAnchor);
  if (moved) problems.push(moved);
  if (head) {
    const found = mirroredHeadProblem(head, newest ?? anchor.seq, head.seq === anchor.seq ? anchor : atHead);
    if (found) problems.push(found);
  }
  return problems;
}

/**
 * The check of the head kept in the keychain against the log: `last` is the log's newest seq (the
 * anchor's when it has no rows), `at` the row (or anchor) at the mirrored seq, if the log holds one.
 * A head beyond the newest row means the newest rows were removed; another hash at its seq, that the
 * chain was recomputed. A head before the anchor was removed by retention and says nothing.
 */
export function mirroredHeadProblem(head: AuditAnchor, last: number, at: AuditAnchor | undefined): AuditProblem | undefined {
  if (head.seq > last) {
    return {
      seq: head.seq,
      problem: 'deleted',
      detail: `the log ends at seq ${last}, but the keychain holds a head at seq ${head.seq}: the newest rows were removed`,
    };
  }
  if (at && at.hash !== head.hash) {
    return { seq: head.seq, problem: 'edited', detail: 'its hash differs from the head kept in the keychain: the chain was recomputed' };
  }
  return undefined;
}

/**
 * Rows without a MAC after the first row that has one. A run without the keychain writes them (the
 * key cannot be read then), and so could anyone who appends rows with a SQLite tool: they are not
 * judged, but counted, so IT sees how many there are (doctor's note, `audit verify`). Undefined when
 * there are none, or the log predates the MAC column.
 */
export function unsignedRows(db: Database): { rows: number; firstSeq: number } | undefined {
  if (!hasColumn(db, 'audit_events', 'mac')) return undefined;
  const found = db
    .prepare<[], { rows: number; firstSeq: number | null }>(
      `SELECT count(*) AS rows, min(seq) AS firstSeq FROM audit_events
         WHERE mac IS NULL AND seq > (SELECT min(seq) FROM audit_events WHERE mac IS NOT NULL)`,
    )
    .get();
  return found && found.rows > 0 && found.firstSeq !== null ? { rows: found.rows, firstSeq: found.firstSeq } : undefined;
}

/** The record MAC key, the mirrored head and the retention allowance from the keychain (never creates any). */
export async function readAuditKeys(secrets: SecretStore): Promise<AuditKeys> {
  const [mac, mirrored] = await Promise.all([readRecordMac(secrets), readMirroredAudit(secrets)]);
  return { mac, ...mirrored };
}

/** What the keychain keeps of the log itself: the mirrored head and the retention allowance. */
export async function readMirroredAudit(
  secrets: SecretStore,
): Promise<{ head: AuditAnchor | undefined; allowedAnchor: AuditAnchor | undefined }> {
  const [head, allowedAnchor] = await Promise.all([readMirroredHead(secrets), readRetentionAllowance(secrets)]);
  return { head, allowedAnchor };
}
