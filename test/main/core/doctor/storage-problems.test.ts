/**
 * storageProblems with fakes of the file system and the read-only open: the doctor's database
 * problems, their codes and advice as `checkDatabase` gives them, notes left out, the handle closed,
 * and nothing thrown. The real file systems are in the app runtime's storage integration test.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Database } from '../../../../src/main/adapters/sqlite/database';
import { storageProblems } from '../../../../src/main/core/doctor/storage-problems';
import { schemaVersion } from '../../../../src/main/core/records/schema';
import { FieldKeyError } from '../../../../src/shared/errors';

/** A directory that does not exist, so the data-directory check (real `access`) judges nothing. */
const FILE = '/nonexistent-fieldkey-test/data/fieldkey.db';
const fileExists = (path: string) => path === FILE;

function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A read-only handle that answers `user_version` and `integrity_check`. */
function fakeDb(version: number, integrity = 'ok'): Database & { close: ReturnType<typeof vi.fn> } {
  return {
    pragma: (sql: string) => (sql.startsWith('user_version') ? version : [{ integrity_check: integrity }]),
    close: vi.fn(),
  } as unknown as Database & { close: ReturnType<typeof vi.fn> };
}

describe('storageProblems', () => {
  it('a file SQLite calls not a database: database_corrupt with the keep-a-copy advice', () => {
    const problems = storageProblems({
      file: FILE,
      exists: fileExists,
      openReadOnly: () => {
        throw sqliteError('SQLITE_NOTADB', 'file is not a database');
      },
    });
    expect(problems).toEqual([
      {
        severity: 'problem',
        code: 'database_corrupt',
        message: expect.stringMatching(/not a readable FieldKey database \(file is not a database\)\. Keep a copy for IT/),
      },
    ]);
  });

  it('a database from a newer FieldKey: database_too_new with the storage layer’s message', () => {
    const message = `The FieldKey database has schema version ${schemaVersion + 2}, newer than this FieldKey (${schemaVersion}).`;
    const problems = storageProblems({
      file: FILE,
      exists: fileExists,
      openReadOnly: () => {
        throw new FieldKeyError('database_too_new', message);
      },
    });
    expect(problems).toEqual([{ severity: 'problem', code: 'database_too_new', message }]);
  });

  it('a healthy file SQLite cannot open now: database_unavailable, which leaves the file in place', () => {
    const problems = storageProblems({
      file: FILE,
      exists: fileExists,
      openReadOnly: () => {
        throw new FieldKeyError('database_unavailable', `Cannot open the FieldKey database at ${FILE}.`, {
          cause: sqliteError('SQLITE_BUSY', 'database is locked'),
        });
      },
    });
    expect(problems.map((p) => p.code)).toEqual(['database_unavailable']);
    expect(problems[0]!.message).not.toMatch(/move|delete|remove|restore/i);
  });

  it('a failed integrity check: database_corrupt, and the read-only handle is closed', () => {
    const db = fakeDb(schemaVersion, '*** in database main ***\nPage 7: btreeInitPage() returns error code 11');
    const problems = storageProblems({ file: FILE, exists: fileExists, openReadOnly: () => db });
    expect(problems.map((p) => p.code)).toEqual(['database_corrupt']);
    expect(problems[0]!.message).toMatch(/is damaged \(integrity check: 1 error\(s\)\)\. Keep a copy for IT/);
    expect(db.close).toHaveBeenCalledOnce();
  });

  it('leaves the notes out: no file yet, or a schema the app upgrades, is no problem', () => {
    expect(storageProblems({ file: FILE, exists: () => false, openReadOnly: () => fakeDb(schemaVersion) })).toEqual([]);
    const outdated = fakeDb(schemaVersion - 1);
    expect(storageProblems({ file: FILE, exists: fileExists, openReadOnly: () => outdated })).toEqual([]);
    expect(outdated.close).toHaveBeenCalledOnce();
  });

  it('never throws: a diagnosis that fails itself finds nothing', () => {
    const problems = storageProblems({
      file: FILE,
      exists: () => {
        throw new Error('stat failed');
      },
      openReadOnly: () => fakeDb(schemaVersion),
    });
    expect(problems).toEqual([]);
  });
});
