/**
 * Migrations 10 and 11 on a database written by migration 9: the unlock attempts get a MAC column,
 * and the audit log gets its (empty) verified checkpoint and start-up failure tables, so the next
 * start checks the whole chain once.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../../src/main/adapters/sqlite/database';
import { currentVersion } from '../../../../src/main/core/records/schema';
import { migrations } from '../../../../src/main/core/records/migrations';
import { tempDir } from '../../../helpers/temp-database';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('migrations 10 and 11 (unlock attempt MACs, the verified audit checkpoint)', () => {
  it('adds the columns and the empty tables, one row at most each', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const raw = new BetterSqlite3(join(dir, 'fieldkey.db'));
    cleanups.push(() => raw.close());
    migrate(raw, migrations.slice(0, 9));
    migrate(raw, migrations.slice(0, 11));
    expect(currentVersion(raw)).toBe(11);
    const columns = (table: string) => (raw.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    expect(columns('unlock_attempts')).toContain('mac');
    expect(columns('audit_verified')).toEqual(['id', 'seq', 'hash', 'verified_at', 'mac']);
    expect(columns('audit_start_failure')).toEqual(['id', 'seq', 'problem', 'detail', 'from_seq', 'seen_at', 'mac']);
    expect(raw.prepare('SELECT count(*) AS n FROM audit_verified').get()).toEqual({ n: 0 });
    expect(() => raw.prepare("INSERT INTO audit_verified (id, seq, hash, verified_at, mac) VALUES (2, 1, 'h', 0, x'00')").run()).toThrow(
      /CHECK/,
    );
  });
});
