/**
 * Migration 4: field notes, the protected workspace (DESIGN.md section 7; owned by
 * src/main/core/notes/field-notes.ts).
 *
 * `account_id` is the opaque account id (digest of issuer and `sub`), deliberately without a foreign
 * key: notes outlive the account's sealed session and even its `accounts` row, and reappear when the
 * same person signs in again. Notes are plain text (full-disk encryption protects them at rest).
 * Times are ISO 8601 text, like the accounts table. Lengths are code points (SQLite `length`).
 */
export const fieldNotesSchema = `
CREATE TABLE field_notes (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL CHECK (length(account_id) BETWEEN 1 AND 64),
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  text TEXT NOT NULL CHECK (length(text) <= 20000),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX field_notes_account ON field_notes (account_id, updated_at);
`;
