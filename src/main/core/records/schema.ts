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
