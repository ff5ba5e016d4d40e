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
 */
import { AUDIT_HEAD_ENTRY, type SecretStore } from '../secrets/secret-store';
import type { Database } from '../../adapters/sqlite/database';
import { readRecordMac, type RecordMac } from '../records/record-mac';
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
  const match = HEAD_TEXT.exec((await secrets.get(AUDIT_HEAD_ENTRY)) ?? '');
  return match ? { seq: Number(match[1]), hash: match[2]! } : undefined;
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
  if (head) {
    const anchor = readAnchor(db);
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

/** The record MAC key and the mirrored head from the keychain (never creates either). */
export async function readAuditKeys(secrets: SecretStore): Promise<AuditKeys> {
  const [mac, head] = await Promise.all([readRecordMac(secrets), readMirroredHead(secrets)]);
  return { mac, head };
}
