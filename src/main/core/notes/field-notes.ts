/**
 * Field notes, the protected workspace (DESIGN.md section 7): per account, in SQLite. Reads work in
 * `full` and `read-only`; writes only in `full`. The gate is here, in the main process, and asks the
 * auth service for the account's access at the moment of each call (a renderer that hides no
 * button still cannot write):
 *  - `not_unlocked`: the account is not unlocked (locked, signed out, another account is active);
 *  - `connection_required`: offline access is over (denied);
 *  - `read_only`: a write in the read-only tier (after the grace period, before the check-in).
 * Notes are never deleted by degradation, wipe or sign-out: they reappear at the next sign-in of the
 * same account (same issuer and `sub`, same account id). Prepared statements only.
 */
import { NOTE_TEXT_MAX_CHARS, NOTE_TITLE_MAX_CHARS, type FieldNote, type FieldNoteSummary } from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Database } from '../../adapters/sqlite/database';
import type { AccountAccess } from '../auth/auth-service-port';

export type AccessFor = (accountId: string) => AccountAccess | Promise<AccountAccess>;

interface NoteRow {
  id: number;
  title: string;
  text: string;
  created_at: string;
  updated_at: string;
}

const toSummary = (r: Omit<NoteRow, 'text'>): FieldNoteSummary => ({ id: r.id, title: r.title, createdAt: r.created_at, updatedAt: r.updated_at });
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
        ? new FieldKeyError('read_only', 'Read-only: the grace period for working offline is over, so notes can be read but not changed. Connect to the network to get full access again.')
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
  if ([...trimmed].length > NOTE_TITLE_MAX_CHARS) throw new FieldKeyError('note_invalid', `The title can have at most ${NOTE_TITLE_MAX_CHARS} characters.`);
  if (/[\r\n]/.test(trimmed)) throw new FieldKeyError('note_invalid', 'The title must be one line.');
  if ([...text].length > NOTE_TEXT_MAX_CHARS) throw new FieldKeyError('note_invalid', `The note can have at most ${NOTE_TEXT_MAX_CHARS} characters.`);
  return { title: trimmed, text };
}

export class FieldNotes {
  private readonly selectList;
  private readonly selectOne;
  private readonly insert;
  private readonly change;

  constructor(
    db: Database,
    private readonly clock: Clock,
    private readonly accessFor: AccessFor,
  ) {
    this.selectList = db.prepare<[string], Omit<NoteRow, 'text'>>(
      'SELECT id, title, created_at, updated_at FROM field_notes WHERE account_id = ? ORDER BY updated_at DESC, id DESC',
    );
    this.selectOne = db.prepare<[number, string], NoteRow>('SELECT id, title, text, created_at, updated_at FROM field_notes WHERE id = ? AND account_id = ?');
    this.insert = db.prepare<[string, string, string, string, string], NoteRow>(
      'INSERT INTO field_notes (account_id, title, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id, title, text, created_at, updated_at',
    );
    this.change = db.prepare<[string, string, string, number, string], NoteRow>(
      'UPDATE field_notes SET title = ?, text = ?, updated_at = ? WHERE id = ? AND account_id = ? RETURNING id, title, text, created_at, updated_at',
    );
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
    const now = this.clock.now().toISOString();
    return toNote(this.insert.get(accountId, input.title, input.text, now, now)!);
  }

  async update(accountId: string, id: number, title: string, text: string): Promise<FieldNote> {
    await this.gate(accountId, true);
    const input = checkNoteInput(title, text);
    const row = this.change.get(input.title, input.text, this.clock.now().toISOString(), id, accountId);
    if (!row) throw notFound();
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
