import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { prepareDatabaseFiles } from '../../../../src/main/adapters/os/private-files';
import { databaseFiles } from '../../../../src/main/core/environment';
import { tempDir } from '../../../helpers/temp-database';

const cleanups: (() => void)[] = [];
let savedUmask = 0;

beforeEach(() => {
  // The usual desktop umask: without FieldKey's care, new files are 0644 and directories 0755.
  savedUmask = process.umask(0o022);
});

afterEach(() => {
  process.umask(savedUmask);
  while (cleanups.length) cleanups.pop()!();
});

function newDir(): string {
  const { dir, cleanup } = tempDir('fieldkey-private-');
  cleanups.push(cleanup);
  return dir;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Writes one row and keeps the connection open, so the `-wal` and `-shm` files exist. */
function writeOnce(file: string, issuer = 'https://idp.example'): ReturnType<typeof openDatabase> {
  const db = openDatabase(file);
  db.prepare(`INSERT INTO discovery_cache (issuer, document, fetched_at) VALUES (?, '{}', 1)`).run(issuer);
  cleanups.push(() => db.close());
  return db;
}

describe('private data files', () => {
  it('creates the data directory 0700 and the database, -wal and -shm files 0600 under umask 022', () => {
    const dataDir = join(newDir(), 'share', 'fieldkey');
    const file = join(dataDir, 'fieldkey.db');
    writeOnce(file);
    expect(modeOf(dataDir)).toBe(0o700);
    for (const path of databaseFiles(file)) {
      expect(existsSync(path), path).toBe(true);
      expect(modeOf(path), path).toBe(0o600);
    }
    // Only the data directory is narrowed; its parents keep the usual modes.
    expect(modeOf(join(dataDir, '..'))).toBe(0o755);
  });

  it('narrows an existing install (0755 directory, 0644 database, -wal and -shm) at start-up', () => {
    const dataDir = join(newDir(), 'fieldkey');
    const file = join(dataDir, 'fieldkey.db');
    const old = writeOnce(file);
    old.close();
    // What an older FieldKey left: SQLite's own modes under umask 022, with WAL files beside the database.
    chmodSync(dataDir, 0o755);
    chmodSync(file, 0o644);
    for (const path of databaseFiles(file).slice(1)) closeSync(openSync(path, 'a'));
    for (const path of databaseFiles(file)) chmodSync(path, 0o644);

    const db = writeOnce(file, 'https://other-idp.example');
    expect(db.prepare('SELECT count(*) AS n FROM discovery_cache').get()).toEqual({ n: 2 });
    expect(modeOf(dataDir)).toBe(0o700);
    for (const path of databaseFiles(file)) expect(modeOf(path), path).toBe(0o600);
  });

  it('narrows the directory and files even when the umask would leave them wider', () => {
    process.umask(0o000);
    const dataDir = join(newDir(), 'fieldkey');
    const file = join(dataDir, 'fieldkey.db');
    writeOnce(file);
    expect(modeOf(dataDir)).toBe(0o700);
    for (const path of databaseFiles(file)) expect(modeOf(path), path).toBe(0o600);
  });

  it('leaves modes alone on Windows, where the inherited ACL of the per-user folder decides', () => {
    const dataDir = join(newDir(), 'fieldkey');
    mkdirSync(dataDir, { mode: 0o755 });
    const file = join(dataDir, 'fieldkey.db');
    writeFileSync(file, '', { mode: 0o644 });
    prepareDatabaseFiles(file, 'win32');
    expect(modeOf(dataDir)).toBe(0o755);
    expect(modeOf(file)).toBe(0o644);
  });

  it('a folder where the database file belongs is refused, its mode left as it was', () => {
    const dir = newDir();
    const file = join(dir, 'data', 'fieldkey.db');
    mkdirSync(file, { recursive: true, mode: 0o755 });
    chmodSync(file, 0o755);
    expect(() => prepareDatabaseFiles(file, 'linux')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(modeOf(file)).toBe(0o755);
  });
});
