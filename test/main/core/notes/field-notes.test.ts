import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldKeyError } from '../../../../src/shared/errors';
import { NOTE_TITLE_MAX_CHARS } from '../../../../src/shared/app-state';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { AccountStore } from '../../../../src/main/core/accounts/account-store';
import type { AccountAccess } from '../../../../src/main/core/auth/auth-service-port';
import { FieldNotes, checkNoteInput } from '../../../../src/main/core/notes/field-notes';
import type { Clock } from '../../../../src/main/core/clock';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';

const ALICE = accountIdFor('https://idp.example', 'alice');
const BOB = accountIdFor('https://idp.example', 'bob');

class SteppingClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    this.ms += 1000;
    return new Date(this.ms);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FieldKeyError) return error.code;
    throw error;
  }
  throw new Error('expected a FieldKeyError');
}

describe('FieldNotes (real SQLite file)', () => {
  let dir: string;
  let file: string;
  let db: Database;
  let access: Map<string, AccountAccess>;
  let notes: FieldNotes;
  const clock = new SteppingClock(Date.parse('2026-03-01T08:00:00Z'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fieldkey-notes-'));
    file = join(dir, 'fieldkey.db');
    db = openDatabase(file);
    access = new Map([
      [ALICE, 'full'],
      [BOB, 'full'],
    ]);
    notes = new FieldNotes(db, clock, async (id) => access.get(id) ?? 'locked');
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists (newest first), reads and edits notes in full access', async () => {
    const first = await notes.create(ALICE, '  Pump 4  ', 'Seal replaced.');
    const second = await notes.create(ALICE, 'Valve 12', 'Leak at flange.\nRetorqued.');
    expect(first).toMatchObject({ title: 'Pump 4', text: 'Seal replaced.' });
    expect(first.createdAt).toBe(first.updatedAt);
    expect((await notes.list(ALICE)).map((n) => n.title)).toEqual(['Valve 12', 'Pump 4']);
    expect(await notes.list(ALICE)).not.toContainEqual(expect.objectContaining({ text: expect.anything() }));
    expect(await notes.get(ALICE, second.id)).toEqual(second);

    const edited = await notes.update(ALICE, first.id, 'Pump 4 (done)', 'Seal replaced, tested.');
    expect(edited).toMatchObject({ id: first.id, title: 'Pump 4 (done)', text: 'Seal replaced, tested.', createdAt: first.createdAt });
    expect(Date.parse(edited.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    expect((await notes.list(ALICE)).map((n) => n.id)).toEqual([first.id, second.id]);
  });

  it('keeps accounts apart: another account sees nothing and cannot read or edit by id', async () => {
    const note = await notes.create(ALICE, 'Alice only', 'private');
    expect(await notes.list(BOB)).toEqual([]);
    expect(await codeOf(notes.get(BOB, note.id))).toBe('note_not_found');
    expect(await codeOf(notes.update(BOB, note.id, 'mine now', ''))).toBe('note_not_found');
    expect((await notes.get(ALICE, note.id)).title).toBe('Alice only');
  });

  it('reads but refuses writes in read-only, with read_only', async () => {
    const note = await notes.create(ALICE, 'Before expiry', 'written in full access');
    access.set(ALICE, 'read-only');
    expect(await notes.list(ALICE)).toHaveLength(1);
    expect((await notes.get(ALICE, note.id)).text).toBe('written in full access');
    expect(await codeOf(notes.create(ALICE, 'New', ''))).toBe('read_only');
    expect(await codeOf(notes.update(ALICE, note.id, 'Changed', 'x'))).toBe('read_only');
    // The refusal wins over input problems: the reason shown is the access, not the title.
    expect(await codeOf(notes.create(ALICE, '   ', ''))).toBe('read_only');
    expect((await notes.get(ALICE, note.id)).title).toBe('Before expiry');
  });

  it.each([
    ['denied', 'connection_required'],
    ['locked', 'not_unlocked'],
  ] as [AccountAccess, string][])('refuses reads and writes when %s (%s)', async (state, code) => {
    const note = await notes.create(ALICE, 'Kept', '');
    access.set(ALICE, state);
    expect(await codeOf(notes.list(ALICE))).toBe(code);
    expect(await codeOf(notes.get(ALICE, note.id))).toBe(code);
    expect(await codeOf(notes.create(ALICE, 'x', ''))).toBe(code);
    expect(await codeOf(notes.update(ALICE, note.id, 'x', ''))).toBe(code);
  });

  it('asks for access at every call (a session that degrades between calls is refused at once)', async () => {
    const answers: AccountAccess[] = ['full', 'read-only'];
    const gated = new FieldNotes(db, clock, () => answers.shift() ?? 'locked');
    await gated.create(ALICE, 'one', '');
    expect(await codeOf(gated.create(ALICE, 'two', ''))).toBe('read_only');
  });

  it('keeps notes across a wipe, a removed account row and a reopened database (same issuer + sub)', async () => {
    await notes.create(ALICE, 'Survives', 'wipe and re-sign-in');
    const accounts = new AccountStore(db, clock);
    expect(accounts.upsert({ issuer: 'https://idp.example', subject: 'alice', displayName: 'Alice' }, 5).id).toBe(ALICE);
    expect(accounts.delete(ALICE)).toBe(true);
    db.close();
    db = openDatabase(file);
    const again = new FieldNotes(db, clock, async (): Promise<AccountAccess> => 'full');
    const sameAccount = accountIdFor('https://idp.example', 'alice');
    expect((await again.list(sameAccount)).map((n) => n.title)).toEqual(['Survives']);
  });

  it('refuses an empty title, a multi-line title and over-long input with note_invalid', async () => {
    expect(await codeOf(notes.create(ALICE, '  ', 'x'))).toBe('note_invalid');
    expect(await codeOf(notes.create(ALICE, 'a\nb', 'x'))).toBe('note_invalid');
    expect(await codeOf(notes.create(ALICE, 'x'.repeat(NOTE_TITLE_MAX_CHARS + 1), ''))).toBe('note_invalid');
    expect(await codeOf(notes.get(ALICE, 999))).toBe('note_not_found');
    expect(await notes.list(ALICE)).toEqual([]);
  });

  it('counts characters, not UTF-16 units, like the table CHECK', async () => {
    const title = '🔧'.repeat(NOTE_TITLE_MAX_CHARS);
    expect(checkNoteInput(title, '').title).toBe(title);
    expect((await notes.create(ALICE, title, '')).title).toBe(title);
  });

  it('the table itself refuses rows that break the caps', () => {
    expect(() =>
      db
        .prepare(
          "INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, sync_state) VALUES (?, ?, '', '', 'x', 'x', 'pending')",
        )
        .run(ALICE, randomUUID()),
    ).toThrow(/CHECK/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, sync_state) VALUES (?, ?, 't', '', 'x', 'x', 'lost')",
        )
        .run(ALICE, randomUUID()),
    ).toThrow(/CHECK/);
  });

  it('writes each create and edit with its outbox change, in full access only, online or not', async () => {
    const note = await notes.create(ALICE, 'Pump 4', 'Seal replaced.');
    expect(note).toMatchObject({ syncState: 'pending', rejection: null });
    expect(outbox()).toEqual([
      { account_id: ALICE, operation: 'create', base_version: null, title: 'Pump 4', text: 'Seal replaced.', attempts: 0 },
    ]);
    // An edit before the create was ever sent joins it: the key was never used.
    await notes.update(ALICE, note.id, 'Pump 4', 'Seal replaced, tested.');
    expect(outbox()).toEqual([
      { account_id: ALICE, operation: 'create', base_version: null, title: 'Pump 4', text: 'Seal replaced, tested.', attempts: 0 },
    ]);
    // Once sent, the next edit is a change of its own, behind it.
    db.prepare('UPDATE outbox SET attempts = 1').run();
    await notes.update(ALICE, note.id, 'Pump 4', 'Third text.');
    expect(outbox().map((r) => [r.operation, r.text, r.attempts])).toEqual([
      ['create', 'Seal replaced, tested.', 1],
      ['update', 'Third text.', 0],
    ]);
    const keys = db
      .prepare<[], { idempotency_key: string }>('SELECT idempotency_key FROM outbox')
      .all()
      .map((r) => r.idempotency_key);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    access.set(ALICE, 'read-only');
    expect(await codeOf(notes.update(ALICE, note.id, 'Pump 4', 'refused'))).toBe('read_only');
    expect(outbox()).toHaveLength(2);
  });

  it('writes neither the note nor its change when the outbox row cannot be written (one transaction)', async () => {
    db.exec("CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox full'); END");
    await expect(notes.create(ALICE, 'Lost', 'text')).rejects.toThrow(/outbox full/);
    expect(await notes.list(ALICE)).toEqual([]);
  });

  it('tells onChange after each committed write, and not after a refused one', async () => {
    const changed: string[] = [];
    const told = new FieldNotes(
      db,
      clock,
      async (id) => access.get(id) ?? 'locked',
      (id) => changed.push(id),
    );
    const note = await told.create(BOB, 'One', '');
    await told.update(BOB, note.id, 'Two', '');
    await expect(told.update(BOB, 9999, 'Three', '')).rejects.toThrow(FieldKeyError);
    expect(changed).toEqual([BOB, BOB]);
  });

  function outbox(): Record<string, unknown>[] {
    return db.prepare('SELECT account_id, operation, base_version, title, text, attempts FROM outbox ORDER BY id').all() as Record<
      string,
      unknown
    >[];
  }
});
