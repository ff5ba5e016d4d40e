/**
 * The Field API's data in one SQLite file: notes, the answers recorded under each Idempotency-Key,
 * and audit checkpoints, every row keyed by the access token's `sub`. Each write decides and writes
 * in one transaction (better-sqlite3 is synchronous), so two requests can never both pass the same
 * precondition or use the same key.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notes (
  sub        TEXT NOT NULL,
  id         TEXT NOT NULL,
  title      TEXT NOT NULL,
  text       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (sub, id)
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency_keys (
  sub         TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status      INTEGER NOT NULL,
  etag        TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (sub, key)
) STRICT;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  sub         TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  hash        TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (sub, device_id, seq)
) STRICT;
`;

export interface Note {
  id: string;
  title: string;
  text: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type Precondition = { kind: 'create' } | { kind: 'update'; version: number };

export interface NoteWrite {
  id: string;
  title: string;
  text: string;
  precondition: Precondition;
  idempotencyKey: string;
}

/** What a write answered; this is also what a replay of its Idempotency-Key answers. */
export interface RecordedAnswer {
  status: 200 | 201;
  etag: string;
  body: Note;
}

export type PutNoteOutcome =
  | { kind: 'written'; answer: RecordedAnswer }
  | { kind: 'replayed'; answer: RecordedAnswer }
  | { kind: 'key_reused' }
  | { kind: 'precondition_failed'; current: Note | undefined };

export interface AuditCheckpoint {
  deviceId: string;
  seq: number;
  hash: string;
  recordedAt: string;
}

export type CheckpointOutcome =
  { kind: 'recorded' | 'unchanged'; checkpoint: AuditCheckpoint } | { kind: 'regressed' | 'mismatch'; current: AuditCheckpoint };

export interface FieldStore {
  listNotes(sub: string): Note[];
  putNote(sub: string, write: NoteWrite): PutNoteOutcome;
  latestCheckpoint(sub: string, deviceId: string): AuditCheckpoint | undefined;
  recordCheckpoint(sub: string, deviceId: string, seq: number, hash: string): CheckpointOutcome;
  close(): void;
}

interface NoteRow {
  id: string;
  title: string;
  text: string;
  version: number;
  created_at: string;
  updated_at: string;
}

interface KeyRow {
  fingerprint: string;
  status: number;
  etag: string;
  body: string;
}

interface CheckpointRow {
  device_id: string;
  seq: number;
  hash: string;
  recorded_at: string;
}

/** The ETag of a version: a strong entity tag, `"<n>"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

function noteOf(row: NoteRow): Note {
  return { id: row.id, title: row.title, text: row.text, version: row.version, createdAt: row.created_at, updatedAt: row.updated_at };
}

function checkpointOf(row: CheckpointRow): AuditCheckpoint {
  return { deviceId: row.device_id, seq: row.seq, hash: row.hash, recordedAt: row.recorded_at };
}

/** Everything that makes two writes "the same request" for an Idempotency-Key. */
function fingerprintOf(write: NoteWrite): string {
  const precondition = write.precondition.kind === 'create' ? '*' : write.precondition.version;
  return createHash('sha256')
    .update(JSON.stringify([write.id, write.title, write.text, precondition]))
    .digest('hex');
}

export function openFieldStore(file: string, now: () => Date = () => new Date()): FieldStore {
  // Created owner-only: it holds every technician's notes.
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const listNotes = db.prepare<[string], NoteRow>(
    'SELECT id, title, text, version, created_at, updated_at FROM notes WHERE sub = ? ORDER BY created_at, id',
  );
  const findNote = db.prepare<[string, string], NoteRow>(
    'SELECT id, title, text, version, created_at, updated_at FROM notes WHERE sub = ? AND id = ?',
  );
  const insertNote = db.prepare(
    'INSERT INTO notes (sub, id, title, text, version, created_at, updated_at) VALUES (@sub, @id, @title, @text, 1, @at, @at)',
  );
  const updateNote = db.prepare(
    'UPDATE notes SET title = @title, text = @text, version = version + 1, updated_at = @at WHERE sub = @sub AND id = @id AND version = @version',
  );
  const findKey = db.prepare<[string, string], KeyRow>(
    'SELECT fingerprint, status, etag, body FROM idempotency_keys WHERE sub = ? AND key = ?',
  );
  const insertKey = db.prepare(
    `INSERT INTO idempotency_keys (sub, key, fingerprint, status, etag, body, created_at)
     VALUES (@sub, @key, @fingerprint, @status, @etag, @body, @at)`,
  );
  const latestCheckpoint = db.prepare<[string, string], CheckpointRow>(
    'SELECT device_id, seq, hash, recorded_at FROM audit_checkpoints WHERE sub = ? AND device_id = ? ORDER BY seq DESC LIMIT 1',
  );
  const insertCheckpoint = db.prepare(
    'INSERT INTO audit_checkpoints (sub, device_id, seq, hash, recorded_at) VALUES (@sub, @deviceId, @seq, @hash, @at)',
  );

  const putNote = db.transaction((sub: string, write: NoteWrite): PutNoteOutcome => {
    const fingerprint = fingerprintOf(write);
    const recorded = findKey.get(sub, write.idempotencyKey);
    if (recorded) {
      if (recorded.fingerprint !== fingerprint) return { kind: 'key_reused' };
      return {
        kind: 'replayed',
        answer: { status: recorded.status as 200 | 201, etag: recorded.etag, body: JSON.parse(recorded.body) as Note },
      };
    }
    const existing = findNote.get(sub, write.id);
    const at = now().toISOString();
    const { precondition } = write;
    let status: 200 | 201;
    if (precondition.kind === 'create') {
      if (existing) return { kind: 'precondition_failed', current: noteOf(existing) };
      insertNote.run({ sub, id: write.id, title: write.title, text: write.text, at });
      status = 201;
    } else {
      if (!existing || existing.version !== precondition.version) {
        return { kind: 'precondition_failed', current: existing ? noteOf(existing) : undefined };
      }
      updateNote.run({ sub, id: write.id, title: write.title, text: write.text, at, version: precondition.version });
      status = 200;
    }
    const note = noteOf(findNote.get(sub, write.id) as NoteRow);
    const answer: RecordedAnswer = { status, etag: etagOf(note.version), body: note };
    insertKey.run({ sub, key: write.idempotencyKey, fingerprint, status, etag: answer.etag, body: JSON.stringify(note), at });
    return { kind: 'written', answer };
  });

  const recordCheckpoint = db.transaction((sub: string, deviceId: string, seq: number, hash: string): CheckpointOutcome => {
    const highest = latestCheckpoint.get(sub, deviceId);
    if (highest) {
      if (seq < highest.seq) return { kind: 'regressed', current: checkpointOf(highest) };
      if (seq === highest.seq) {
        return highest.hash === hash
          ? { kind: 'unchanged', checkpoint: checkpointOf(highest) }
          : { kind: 'mismatch', current: checkpointOf(highest) };
      }
    }
    const recordedAt = now().toISOString();
    insertCheckpoint.run({ sub, deviceId, seq, hash, at: recordedAt });
    return { kind: 'recorded', checkpoint: { deviceId, seq, hash, recordedAt } };
  });

  return {
    listNotes: (sub) => listNotes.all(sub).map(noteOf),
    putNote: (sub, write) => putNote.immediate(sub, write),
    latestCheckpoint(sub, deviceId) {
      const row = latestCheckpoint.get(sub, deviceId);
      return row ? checkpointOf(row) : undefined;
    },
    recordCheckpoint: (sub, deviceId, seq, hash) => recordCheckpoint.immediate(sub, deviceId, seq, hash),
    close: () => db.close(),
  };
}
