import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { currentVersion, schemaVersion } from '../../../../src/main/core/records/schema';
import { migrations } from '../../../../src/main/core/records/migrations';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { tempDir } from '../../../helpers/temp-database';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function newDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

function tableNames(db: BetterSqlite3.Database): string[] {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .all()
    .map((r) => r.name);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('openDatabase', () => {
  it('migrates a new file from version 0 to the latest, in WAL mode, with STRICT tables', () => {
    const file = join(newDir(), 'nested', 'fieldkey.db');
    const db = openDatabase(file);
    try {
      expect(currentVersion(db)).toBe(schemaVersion);
      expect(schemaVersion).toBe(migrations.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      // FULL (2): every commit, e.g. a counted PIN attempt or a rotated refresh token, is on disk when it returns.
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      const tables = tableNames(db);
      for (const name of ['jwks_keys', 'jwks_fetches', 'server_times', 'clock_high_water', 'check_ins', 'discovery_cache']) {
        expect(tables).toContain(name);
      }
      const notStrict = db
        .prepare<[], { name: string }>(
          `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND strict = 0 AND name NOT LIKE 'sqlite_%'`,
        )
        .all();
      expect(notStrict).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('reopens an up-to-date file without changing it', () => {
    const file = join(newDir(), 'fieldkey.db');
    const first = openDatabase(file);
    first.prepare(`INSERT INTO discovery_cache (issuer, document, fetched_at) VALUES ('https://idp', '{}', 1)`).run();
    const schemaBefore = first.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all();
    first.close();

    const second = openDatabase(file);
    try {
      expect(currentVersion(second)).toBe(schemaVersion);
      expect(second.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all()).toEqual(schemaBefore);
      expect(second.prepare(`SELECT count(*) AS n FROM discovery_cache`).get()).toEqual({ n: 1 });
    } finally {
      second.close();
    }
  });

  it('refuses a database newer than the code with database_too_new and leaves the file byte-for-byte untouched', () => {
    const file = join(newDir(), 'fieldkey.db');
    const raw = new BetterSqlite3(file);
    raw.exec(`CREATE TABLE future (x INTEGER) STRICT; INSERT INTO future VALUES (42);`);
    raw.pragma(`user_version = ${schemaVersion + 1}`);
    raw.close();
    const before = sha256(file);

    for (const readonly of [false, true]) {
      let caught: unknown;
      try {
        openDatabase(file, { readonly });
      } catch (error) {
        caught = error;
      }
      expect(isFieldKeyError(caught, 'database_too_new')).toBe(true);
    }
    expect(sha256(file)).toBe(before);
    const check = new BetterSqlite3(file, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.pragma('user_version', { simple: true })).toBe(schemaVersion + 1);
    check.close();
  });

  it('reports database_unavailable when the file cannot be opened', () => {
    let caught: unknown;
    try {
      openDatabase(join(newDir(), 'missing.db'), { readonly: true });
    } catch (error) {
      caught = error;
    }
    expect(isFieldKeyError(caught, 'database_unavailable')).toBe(true);
  });
});

describe('migrate', () => {
  const good = `CREATE TABLE one (x INTEGER) STRICT;`;
  const failing = `CREATE TABLE two (x INTEGER) STRICT; INSERT INTO two VALUES (1); INSERT INTO no_such_table VALUES (1);`;

  function rawFile(): BetterSqlite3.Database {
    return new BetterSqlite3(join(newDir(), 'throwaway.db'));
  }

  it('rolls back every pending migration when one fails (from version 0)', () => {
    const db = rawFile();
    try {
      expect(() => migrate(db, [good, failing])).toThrow(/no_such_table/);
      expect(tableNames(db)).toEqual([]);
      expect(currentVersion(db)).toBe(0);
    } finally {
      db.close();
    }
  });

  it('keeps earlier, committed migrations and rolls back only the failed run', () => {
    const db = rawFile();
    try {
      migrate(db, [good]);
      expect(currentVersion(db)).toBe(1);
      expect(() => migrate(db, [good, failing])).toThrow();
      expect(tableNames(db)).toEqual(['one']);
      expect(currentVersion(db)).toBe(1);
    } finally {
      db.close();
    }
  });

  it('applies only the pending migrations, in order', () => {
    const db = rawFile();
    try {
      migrate(db, [good]);
      migrate(db, [good, `CREATE TABLE two (x INTEGER) STRICT;`]);
      expect(tableNames(db)).toEqual(['one', 'two']);
      expect(currentVersion(db)).toBe(2);
      migrate(db, [good, `CREATE TABLE two (x INTEGER) STRICT;`]);
      expect(currentVersion(db)).toBe(2);
    } finally {
      db.close();
    }
  });
});
