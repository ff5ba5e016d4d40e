/**
 * Migration 8 on a database written by the previous schema: the audit rows stay as they were, the
 * installation gets one random device id the Field API accepts, and no anchor mismatch is stored.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../../src/main/adapters/sqlite/database';
import { DEVICE_ID_PATTERN } from '../../../../src/main/core/audit/audit-checkpoints';
import { currentVersion } from '../../../../src/main/core/records/schema';
import { migrations } from '../../../../src/main/core/records/migrations';
import { tempDir } from '../../../helpers/temp-database';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function databaseAt7(): BetterSqlite3.Database {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const raw = new BetterSqlite3(join(dir, 'fieldkey.db'));
  cleanups.push(() => raw.close());
  migrate(raw, migrations.slice(0, 7));
  return raw;
}

describe('migration 8 (audit checkpoints)', () => {
  it('gives the installation one random device id and keeps the audit rows', () => {
    const raw = databaseAt7();
    raw
      .prepare(
        "INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (1, 'sign_in', NULL, 1, NULL, '{}', ?, ?)",
      )
      .run('0'.repeat(64), 'a'.repeat(64));
    migrate(raw, migrations.slice(0, 8));
    expect(currentVersion(raw)).toBe(8);
    const rows = raw.prepare('SELECT id, device_id FROM installation').all() as { id: number; device_id: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.device_id).toMatch(UUID_V4);
    expect(rows[0]!.device_id).toMatch(DEVICE_ID_PATTERN);
    expect(raw.prepare('SELECT seq, hash FROM audit_events').all()).toEqual([{ seq: 1, hash: 'a'.repeat(64) }]);
    expect(raw.prepare('SELECT count(*) AS n FROM audit_anchor_mismatch').get()).toEqual({ n: 0 });
    expect(() => raw.prepare("INSERT INTO installation (id, device_id) VALUES (2, 'x')").run()).toThrow(/CHECK/);
  });

  it('makes another id for another installation', () => {
    const ids = [databaseAt7(), databaseAt7()].map((raw) => {
      migrate(raw, migrations.slice(0, 8));
      return (raw.prepare('SELECT device_id FROM installation').get() as { device_id: string }).device_id;
    });
    expect(ids[0]).not.toBe(ids[1]);
  });
});
