/**
 * The one module that imports better-sqlite3. Opens the FieldKey database (WAL), runs the numbered
 * migrations in one transaction with `PRAGMA user_version`, and refuses a database newer than the
 * code. Repositories receive the `Database` handle and use prepared statements only. A writable
 * open first makes the data directory and the database files private to this OS user
 * (private-files.ts); a read-only open (doctor, audit export) creates nothing, and any `-shm` file
 * SQLite adds then takes the database file's mode.
 */
import BetterSqlite3 from 'better-sqlite3';
import { FieldKeyError } from '../../../shared/errors';
import { migrations } from '../../core/records/migrations';
import { currentVersion } from '../../core/records/schema';
import { prepareDatabaseFiles } from '../os/private-files';

export type Database = BetterSqlite3.Database;
export type Statement<P extends unknown[] | object = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

export interface OpenDatabaseOptions {
  /** Open read-only (doctor): no migration is run, and an outdated schema is reported, not fixed. */
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  if (!options.readonly && file !== ':memory:') prepareDatabaseFiles(file);
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (cause) {
    throw new FieldKeyError('database_unavailable', `Cannot open the FieldKey database at ${file}.`, { cause });
  }
  try {
    db.pragma('busy_timeout = 5000');
    // Before anything writes (switching to WAL rewrites the header): a too-new file stays untouched.
    checkVersion(db, migrations.length);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // Every commit reaches the disk before it returns, also in WAL mode: a counted PIN attempt
      // and a rotated one-time refresh token must survive a power cut, not just a crash.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function checkVersion(db: Database, latest: number): number {
  const version = currentVersion(db);
  if (version > latest) {
    throw new FieldKeyError(
      'database_too_new',
      `The FieldKey database has schema version ${version}, newer than this FieldKey (${latest}). ` +
        'Install the newer FieldKey again, or ask IT; the database was left untouched.',
    );
  }
  return version;
}

/**
 * Brings the database to `list.length` in one immediate transaction: all pending migrations apply,
 * or none does. `list` is the production list except in tests (a throwaway list proves rollback).
 */
export function migrate(db: Database, list: readonly string[] = migrations): void {
  const apply = db.transaction(() => {
    const from = checkVersion(db, list.length);
    for (let i = from; i < list.length; i++) {
      db.exec(list[i]!);
    }
    if (from !== list.length) db.pragma(`user_version = ${list.length}`);
  });
  apply.immediate();
}
