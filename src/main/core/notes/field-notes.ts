/**
 * Field notes, the protected workspace: per account, in SQLite. Reads work in
 * `full` and `read-only`; writes only in `full`. The gate is here, in the main process, and asks the
 * auth service for the account's access at the moment of each call (a renderer that hides no
 * button still cannot write):
 *  - `not_unlocked`: the account is not unlocked (locked, signed out, another account is active);
 *  - `connection_required`: offline access is over (denied);
 *  - `read_only`: a write in the read-only tier (after the grace period, before the check-in).
 * Notes are never deleted by degradation, wipe or sign-out: they reappear at the next sign-in of the
 * same account (same issuer and `sub`, same account id). Prepared statements only.
 *
 * Sync (src/main/core/sync/): every note has a client-generated UUID, its server version and a sync
 * state. Each create or edit writes the note AND its outbox change in one transaction, online or
 * offline, whether or not the policy names a Field API (without one the outbox simply waits); then
 * `onChange` is told, so the app can push at once when online.
 */
import { randomUUID } from 'node:crypto';
import {
  NOTE_TEXT_MAX_CHARS,
  NOTE_TITLE_MAX_CHARS,
  type FieldNote,
  type FieldNoteSummary,
  type NoteSyncState,
} from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Database } from '../../adapters/sqlite/database';
import { SyncStore } from '../sync/sync-store';
import type { AccountAccess } from '../auth/auth-service-port';

export type AccessFor = (accountId: string) => AccountAccess | Promise<AccountAccess>;

interface NoteRow {
  id: number;
  uuid: string;
  title: string;
  text: string;
  created_at: string;
  updated_at: string;
  version: number | null;
  sync_state: NoteSyncState;
  rejection: string | null;
}

const COLUMNS = 'id, uuid, title, text, created_at, updated_at, version, sync_state, rejection';
const SUMMARY_COLUMNS = 'id, uuid, title, created_at, updated_at, version, sync_state, rejection';

const toSummary = (r: Omit<NoteRow, 'text'>): FieldNoteSummary => ({
  id: r.id,
  title: r.title,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  syncState: r.sync_state,
  rejection: r.rejection,
});
const toNote = (r: NoteRow): FieldNote => ({ ...toSummary(r), text: r.text });

export function notUnlocked(): FieldKeyError {
  return new FieldKeyError('not_unlocked', 'Unlock FieldKey to use field notes.');
}

function refusal(access: AccountAccess, write: boolean): FieldKeyError | undefined {
  switch (access) {
    case 'full':
      return undefined;
    case 'read-only':
      return write
        ? new FieldKeyError(
            'read_only',
            'Read-only: the grace period for working offline is over, so notes can be read but not changed. Connect to the network to get full access again.',
          )
        : undefined;
    case 'denied':
      return new FieldKeyError('connection_required', 'Connection required: offline access has ended. Connect to the network to continue.');
    case 'locked':
      return notUnlocked();
  }
}

/** Title: 1 to NOTE_TITLE_MAX_CHARS characters after trimming, one line. Text: up to NOTE_TEXT_MAX_CHARS. */
export function checkNoteInput(title: string, text: string): { title: string; text: string } {
  const trimmed = title.trim();
  if (trimmed.length === 0) throw new FieldKeyError('note_invalid', 'Give the note a title.');
  if ([...trimmed].length > NOTE_TITLE_MAX_CHARS)
    throw new FieldKeyError('note_invalid', `The title can have at most ${NOTE_TITLE_MAX_CHARS} characters.`);
  if (/[\r\n]/.test(trimmed)) throw new FieldKeyError('note_invalid', 'The title must be one line.');
  if ([...text].length > NOTE_TEXT_MAX_CHARS)
    throw new FieldKeyError('note_invalid', `The note can have at most ${NOTE_TEXT_MAX_CHARS} characters.`);
  return { title: trimmed, text };
}

/** Told after each committed write (the account's outbox has a new change). */
export type NotesChanged = (accountId: string) => void;

export class FieldNotes {
  private readonly selectList;
  private readonly selectOne;
  private readonly writeNew;
  private readonly writeChange;

  constructor(
    db: Database,
    private readonly clock: Clock,
    private readonly accessFor: AccessFor,
    private readonly onChange: NotesChanged = () => undefined,
  ) {
    const outbox = new SyncStore(db, clock);
    this.selectList = db.prepare<[string], Omit<NoteRow, 'text'>>(
      `SELECT ${SUMMARY_COLUMNS} FROM field_notes WHERE account_id = ? ORDER BY updated_at DESC, id DESC`,
    );
    this.selectOne = db.prepare<[number, string], NoteRow>(`SELECT ${COLUMNS} FROM field_notes WHERE id = ? AND account_id = ?`);
    const insert = db.prepare<[string, string, string, string, string, string], NoteRow>(
      `INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, version, sync_state) VALUES (?, ?, ?, ?, ?, ?, NULL, 'pending') RETURNING ${COLUMNS}`,
    );
    const change = db.prepare<[string, string, string, number, string], NoteRow>(
      `UPDATE field_notes SET title = ?, text = ?, updated_at = ?, sync_state = 'pending', rejection = NULL WHERE id = ? AND account_id = ? RETURNING ${COLUMNS}`,
    );
    this.writeNew = db.transaction((accountId: string, title: string, text: string, now: string): NoteRow => {
      const row = insert.get(accountId, randomUUID(), title, text, now, now)!;
      outbox.queueChange(accountId, row, title, text);
      return row;
    });
    this.writeChange = db.transaction((accountId: string, id: number, title: string, text: string, now: string): NoteRow | undefined => {
      const row = change.get(title, text, now, id, accountId);
      if (row) outbox.queueChange(accountId, row, title, text);
      return row;
    });
  }

  async list(accountId: string): Promise<FieldNoteSummary[]> {
    await this.gate(accountId, false);
    return this.selectList.all(accountId).map(toSummary);
  }

  async get(accountId: string, id: number): Promise<FieldNote> {
    await this.gate(accountId, false);
    const row = this.selectOne.get(id, accountId);
    if (!row) throw notFound();
    return toNote(row);
  }

  async create(accountId: string, title: string, text: string): Promise<FieldNote> {
    await this.gate(accountId, true);
    const input = checkNoteInput(title, text);
    const row = this.writeNew(accountId, input.title, input.text, this.clock.now().toISOString());
    this.onChange(accountId);
    return toNote(row);
  }

  async update(accountId: string, id: number, title: string, text: string): Promise<FieldNote> {
    await this.gate(accountId, true);
    const input = checkNoteInput(title, text);
    const row = this.writeChange(accountId, id, input.title, input.text, this.clock.now().toISOString());
    if (!row) throw notFound();
    this.onChange(accountId);
    return toNote(row);
  }

  private async gate(accountId: string, write: boolean): Promise<void> {
    const refused = refusal(await this.accessFor(accountId), write);
    if (refused) throw refused;
  }
}

function notFound(): FieldKeyError {
  // Another account's note is "not found" too: ids never reveal what other accounts wrote.
  return new FieldKeyError('note_not_found', 'This note does not exist.');
}
