/**
 * The database schema's version: the number of migrations this FieldKey knows (migrations.ts), and
 * the version a database file carries (SQLite's `user_version`, which each migration raises).
 */
import type { Database } from '../../adapters/sqlite/database';
import { migrations } from './migrations';

export const schemaVersion = migrations.length;

export function currentVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Whether the (possibly older) database has the table: readers of older files (doctor) never migrate. */
export function hasTable(db: Database, name: string): boolean {
  return (
    db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name)?.n === 1
  );
}

/** Whether the (possibly older) database's table has the column. */
export function hasColumn(db: Database, table: string, column: string): boolean {
  return (
    (db.prepare<[string, string], { n: number }>(`SELECT count(*) AS n FROM pragma_table_info(?) WHERE name = ?`).get(table, column)?.n ??
      0) > 0
  );
}
