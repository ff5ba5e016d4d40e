/**
 * Migration 6 on a database written by the previous schema: existing notes keep their ids and text,
 * get a fresh random UUID each, become `pending` with a create waiting in the outbox, and the new
 * tables hold what their CHECKs allow.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../../src/main/adapters/sqlite/database';
import { currentVersion } from '../../../../src/main/core/records/schema';
import { migrations } from '../../../../src/main/core/records/migrations';
import { tempDir } from '../../../helpers/temp-database';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('migration 6 (note sync)', () => {
  it('gives existing notes a UUID, a pending state and a queued create, in one step with the schema', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // A database an older FieldKey left at version 5, with two notes of two accounts.
    const raw = new BetterSqlite3(join(dir, 'fieldkey.db'));
    cleanups.push(() => raw.close());
    migrate(raw, migrations.slice(0, 5));
    raw
      .prepare(
        "INSERT INTO field_notes (account_id, title, text, created_at, updated_at) VALUES ('acct-a', 'Pump 4', 'Seal.', '2026-03-01T08:00:00.000Z', '2026-03-01T09:00:00.000Z')",
      )
      .run();
    raw
      .prepare(
        "INSERT INTO field_notes (account_id, title, text, created_at, updated_at) VALUES ('acct-b', 'Valve', '', '2026-03-02T08:00:00.000Z', '2026-03-02T08:00:00.000Z')",
      )
      .run();
    migrate(raw, migrations.slice(0, 6));
    expect(currentVersion(raw)).toBe(6);

    const notes = raw
      .prepare('SELECT id, account_id, uuid, title, text, version, sync_state, rejection FROM field_notes ORDER BY id')
      .all() as Record<string, unknown>[];
    expect(notes.map(({ uuid: _uuid, ...rest }) => rest)).toEqual([
      { id: 1, account_id: 'acct-a', title: 'Pump 4', text: 'Seal.', version: null, sync_state: 'pending', rejection: null },
      { id: 2, account_id: 'acct-b', title: 'Valve', text: '', version: null, sync_state: 'pending', rejection: null },
    ]);
    const uuids = notes.map((n) => n.uuid as string);
    for (const uuid of uuids) expect(uuid).toMatch(UUID_V4);
    expect(uuids[0]).not.toBe(uuids[1]);

    const outbox = raw
      .prepare('SELECT account_id, note_uuid, idempotency_key, operation, base_version, title, attempts FROM outbox ORDER BY id')
      .all() as Record<string, unknown>[];
    expect(outbox.map(({ idempotency_key: _key, ...rest }) => rest)).toEqual([
      { account_id: 'acct-a', note_uuid: uuids[0], operation: 'create', base_version: null, title: 'Pump 4', attempts: 0 },
      { account_id: 'acct-b', note_uuid: uuids[1], operation: 'create', base_version: null, title: 'Valve', attempts: 0 },
    ]);
    for (const row of outbox) expect(row.idempotency_key).toMatch(UUID_V4);

    expect(() =>
      raw
        .prepare(
          "INSERT INTO outbox (account_id, note_uuid, idempotency_key, operation, title, text, created_at) VALUES ('a', ?, ?, 'delete', 't', '', 'x')",
        )
        .run(uuids[0], uuids[1]),
    ).toThrow(/CHECK/);
    expect(() =>
      raw
        .prepare(
          "INSERT INTO field_notes (account_id, uuid, title, text, created_at, updated_at, sync_state) VALUES ('acct-a', ?, 't', '', 'x', 'x', 'synced')",
        )
        .run(uuids[0]),
    ).toThrow(/UNIQUE/);
  });
});
