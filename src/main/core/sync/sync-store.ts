/**
 * The notes' side of sync in SQLite (tables of migration 6): the outbox of changes waiting for the
 * Field API, what each answer does to the notes, the notes pulled from the server, and the
 * per-account sync status. Every step that touches a note and the outbox does so in ONE
 * transaction, so a crash (or a kill -9) leaves either the step done or nothing done.
 *
 * The outbox is in order per account. A change's request is fixed when the change is written (note
 * id, idempotency key, title, text) except for its precondition: `base_version` is the server
 * version the change builds on, NULL for a note the server has not stored yet. When a change is
 * accepted, the later changes of the same note are rebased on the new version in the same
 * transaction. A change no push has reached yet (`attempts = 0`) takes the next edit of its note
 * instead of a new row: its key was never used, and the outbox stays one row per note while offline.
 */
import { randomUUID } from 'node:crypto';
import { NOTE_TITLE_MAX_CHARS, type NoteSyncState } from '../../../shared/app-state';
import type { Clock } from '../clock';
import type { Database, Statement } from '../../adapters/sqlite/database';

/** A note as the Field API returns it. */
export interface ServerNote {
  id: string;
  title: string;
  text: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface OutboxRow {
  id: number;
  accountId: string;
  noteUuid: string;
  idempotencyKey: string;
  operation: 'create' | 'update';
  /** The version the change builds on; null: the server does not have the note yet (`If-None-Match: *`). */
  baseVersion: number | null;
  title: string;
  text: string;
  createdAt: string;
  attempts: number;
  lastError: string | null;
}

interface OutboxDbRow {
  id: number;
  account_id: string;
  note_uuid: string;
  idempotency_key: string;
  operation: 'create' | 'update';
  base_version: number | null;
  title: string;
  text: string;
  created_at: string;
  attempts: number;
  last_error: string | null;
}

interface NoteSyncRow {
  id: number;
  uuid: string;
  title: string;
  text: string;
  version: number | null;
  sync_state: NoteSyncState;
}

export interface SyncStatusRow {
  lastSyncAt: string | null;
  lastErrorCode: string | null;
}

/** What a pull did. */
export interface PullResult {
  added: number;
  updated: number;
}

const OUTBOX_COLUMNS = 'id, account_id, note_uuid, idempotency_key, operation, base_version, title, text, created_at, attempts, last_error';

const toOutbox = (r: OutboxDbRow): OutboxRow => ({
  id: r.id,
  accountId: r.account_id,
  noteUuid: r.note_uuid,
  idempotencyKey: r.idempotency_key,
  operation: r.operation,
  baseVersion: r.base_version,
  title: r.title,
  text: r.text,
  createdAt: r.created_at,
  attempts: r.attempts,
  lastError: r.last_error,
});

/** The title of the local side of a conflict: "<title> (conflict, this laptop)", within the title cap. */
export function conflictTitle(title: string): string {
  const suffix = ' (conflict, this laptop)';
  const room = NOTE_TITLE_MAX_CHARS - suffix.length;
  const chars = [...title];
  return (chars.length > room ? chars.slice(0, room).join('').trimEnd() : title) + suffix;
}

export class SyncStore {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Queues a change of a note the caller has just written (inside the caller's transaction): joins
   * the note's unsent change if it has one, else appends a create (never stored on the server, no
   * change waiting) or an update on the note's current version.
   */
  queueChange(accountId: string, note: { uuid: string; version: number | null }, title: string, text: string): void {
    const unsent = this.prepare<[string, string], { id: number }>(
      'SELECT id FROM outbox WHERE account_id = ? AND note_uuid = ? AND attempts = 0 ORDER BY id DESC LIMIT 1',
    ).get(accountId, note.uuid);
    const last = this.prepare<[string, string], { id: number }>(
      'SELECT id FROM outbox WHERE account_id = ? AND note_uuid = ? ORDER BY id DESC LIMIT 1',
    ).get(accountId, note.uuid);
    if (unsent && unsent.id === last?.id) {
      this.prepare<[string, string, number]>('UPDATE outbox SET title = ?, text = ? WHERE id = ?').run(title, text, unsent.id);
      return;
    }
    const operation = note.version === null && !last ? 'create' : 'update';
    this.prepare<[string, string, string, string, number | null, string, string, string]>(
      'INSERT INTO outbox (account_id, note_uuid, idempotency_key, operation, base_version, title, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(accountId, note.uuid, randomUUID(), operation, note.version, title, text, this.clock.now().toISOString());
  }

  /** The account's oldest change, if any. */
  next(accountId: string): OutboxRow | undefined {
    const row = this.prepare<[string], OutboxDbRow>(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE account_id = ? ORDER BY id LIMIT 1`).get(
      accountId,
    );
    return row ? toOutbox(row) : undefined;
  }

  /**
   * Counts a push for every change waiting, in one commit BEFORE any request leaves: from then on a
   * change's key may be on the server, so no later edit joins it.
   */
  markPushing(accountId: string): void {
    this.prepare<[string]>('UPDATE outbox SET attempts = attempts + 1 WHERE account_id = ?').run(accountId);
  }

  /** Counts a send of one change (one written while a push runs), committed before its request leaves. */
  markSending(id: number): OutboxRow | undefined {
    const row = this.prepare<[number], OutboxDbRow>(
      `UPDATE outbox SET attempts = attempts + 1 WHERE id = ? RETURNING ${OUTBOX_COLUMNS}`,
    ).get(id);
    return row ? toOutbox(row) : undefined;
  }

  /** A send that got no final answer: the change stays, with the reason, to be sent again with the same key. */
  recordFailure(id: number, code: string): void {
    this.prepare<[string, number]>('UPDATE outbox SET last_error = ? WHERE id = ?').run(code.slice(0, 64), id);
  }

  /**
   * 200/201: the server stored the change as `version`. Committed without waiting for the disk
   * (`synchronous = NORMAL` for this commit only): if a power cut loses it, the change is still in
   * the outbox with its key, goes out again, and the server answers it as the first time. The
   * commits that must reach the disk first (the change itself, the push counted before a send) stay
   * FULL.
   */
  accepted(row: OutboxRow, version: number): void {
    this.lazily(() => this.acceptedNow(row, version));
  }

  private acceptedNow(row: OutboxRow, version: number): void {
    this.db.transaction(() => {
      this.prepare<[number]>('DELETE FROM outbox WHERE id = ?').run(row.id);
      this.prepare<[number, string, string]>('UPDATE outbox SET base_version = ? WHERE account_id = ? AND note_uuid = ?').run(
        version,
        row.accountId,
        row.noteUuid,
      );
      const waiting = this.waiting(row.accountId, row.noteUuid);
      this.prepare<[number, NoteSyncState, string, string]>(
        'UPDATE field_notes SET version = ?, sync_state = ?, rejection = NULL WHERE account_id = ? AND uuid = ?',
      ).run(version, waiting ? 'pending' : 'synced', row.accountId, row.noteUuid);
    })();
  }

  /**
   * 412: the server holds another version. Both survive: the server's becomes the note (synced),
   * and the note's local text becomes a NEW note titled "<title> (conflict, this laptop)", queued
   * as a create. Without a server note in the answer (an update of a note the server lacks), the
   * local text is queued again as a create of the same note.
   */
  conflicted(row: OutboxRow, server: ServerNote | undefined): void {
    this.db.transaction(() => {
      const local = this.note(row.accountId, row.noteUuid);
      this.prepare<[string, string]>('DELETE FROM outbox WHERE account_id = ? AND note_uuid = ?').run(row.accountId, row.noteUuid);
      if (!local) return;
      if (!server) {
        this.prepare<[number]>("UPDATE field_notes SET version = NULL, sync_state = 'pending', rejection = NULL WHERE id = ?").run(
          local.id,
        );
        this.queueChange(row.accountId, { uuid: local.uuid, version: null }, local.title, local.text);
        return;
      }
      this.prepare<[string, string, number, string, number]>(
        "UPDATE field_notes SET title = ?, text = ?, version = ?, updated_at = ?, sync_state = 'synced', rejection = NULL WHERE id = ?",
      ).run(server.title, server.text, server.version, server.updatedAt, local.id);
      const now = this.clock.now().toISOString();
      const copy = { uuid: randomUUID(), version: null };
      const title = conflictTitle(local.title);
      this.prepare<[string, string, string, string, string, string]>(
        "INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, version, sync_state) VALUES (?, ?, ?, ?, ?, ?, NULL, 'pending')",
      ).run(row.accountId, copy.uuid, title, local.text, now, now);
      this.queueChange(row.accountId, copy, title, local.text);
    })();
  }

  /** A refusal for good (403 insufficient_role, or another 4xx): the note stays as it is, marked rejected; its changes leave the outbox. */
  rejected(row: OutboxRow, reason: string): void {
    this.db.transaction(() => {
      this.prepare<[string, string]>('DELETE FROM outbox WHERE account_id = ? AND note_uuid = ?').run(row.accountId, row.noteUuid);
      this.prepare<[string, string, string]>(
        "UPDATE field_notes SET sync_state = 'rejected', rejection = ? WHERE account_id = ? AND uuid = ?",
      ).run(reason.slice(0, 500), row.accountId, row.noteUuid);
    })();
  }

  /**
   * Brings in the server's notes: new ones are added, synced notes the server has a newer version of
   * are updated. A note with a change waiting, or a rejected one, is never overwritten.
   */
  pulled(accountId: string, notes: readonly ServerNote[]): PullResult {
    const result: PullResult = { added: 0, updated: 0 };
    this.db.transaction(() => {
      for (const server of notes) {
        const local = this.note(accountId, server.id);
        if (!local) {
          this.prepare<[string, string, string, string, string, string, number]>(
            "INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, version, sync_state) VALUES (?, ?, ?, ?, ?, ?, ?, 'synced')",
          ).run(accountId, server.id, server.title, server.text, server.createdAt, server.updatedAt, server.version);
          result.added++;
        } else if (local.sync_state === 'synced' && !this.waiting(accountId, server.id) && (local.version ?? 0) < server.version) {
          this.prepare<[string, string, number, string, number]>(
            'UPDATE field_notes SET title = ?, text = ?, version = ?, updated_at = ? WHERE id = ?',
          ).run(server.title, server.text, server.version, server.updatedAt, local.id);
          result.updated++;
        }
      }
    })();
    return result;
  }

  /** Changes waiting for the account. */
  depth(accountId: string): number {
    return this.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE account_id = ?').get(accountId)!.n;
  }

  status(accountId: string): SyncStatusRow {
    const row = this.prepare<[string], { last_sync_at: string | null; last_error_code: string | null }>(
      'SELECT last_sync_at, last_error_code FROM sync_status WHERE account_id = ?',
    ).get(accountId);
    return { lastSyncAt: row?.last_sync_at ?? null, lastErrorCode: row?.last_error_code ?? null };
  }

  /** A sync that ended without an error (`code` null: `lastSyncAt` moves to now) or with one. */
  recordSync(accountId: string, code: string | null): void {
    if (code === null) {
      this.prepare<[string, string]>(
        'INSERT INTO sync_status (account_id, last_sync_at, last_error_code) VALUES (?, ?, NULL) ON CONFLICT (account_id) DO UPDATE SET last_sync_at = excluded.last_sync_at, last_error_code = NULL',
      ).run(accountId, this.clock.now().toISOString());
    } else {
      this.prepare<[string, string]>(
        'INSERT INTO sync_status (account_id, last_sync_at, last_error_code) VALUES (?, NULL, ?) ON CONFLICT (account_id) DO UPDATE SET last_error_code = excluded.last_error_code',
      ).run(accountId, code.slice(0, 64));
    }
  }

  /** Runs `commit` with `synchronous = NORMAL` (WAL: no fsync at this commit; the next FULL one syncs it too). */
  private lazily(commit: () => void): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      commit();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** A prepared statement, prepared once per store (a push runs the same few thousands of times). */
  private prepare<P extends unknown[], R = unknown>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<P, R>;
  }

  private note(accountId: string, uuid: string): NoteSyncRow | undefined {
    return this.prepare<[string, string], NoteSyncRow>(
      'SELECT id, uuid, title, text, version, sync_state FROM field_notes WHERE account_id = ? AND uuid = ?',
    ).get(accountId, uuid);
  }

  private waiting(accountId: string, uuid: string): boolean {
    return (
      this.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE account_id = ? AND note_uuid = ?').get(
        accountId,
        uuid,
      )!.n > 0
    );
  }
}

/** Outbox depth per account id, for `fieldkey doctor` (a read-only database). */
export function outboxDepths(db: Database): Map<string, number> {
  const rows = db.prepare<[], { account_id: string; n: number }>('SELECT account_id, count(*) AS n FROM outbox GROUP BY account_id').all();
  return new Map(rows.map((r) => [r.account_id, r.n]));
}
