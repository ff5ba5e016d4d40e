import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatabase, INTEGRITY_ERRORS_SHOWN } from '../../../../src/main/core/doctor/database-check';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { schemaVersion } from '../../../../src/main/core/records/schema';
import { corruptIndexPage, tempInstall, type Install } from './doctor-fixtures';

let install: Install;
beforeEach(() => {
  install = tempInstall();
});
afterEach(() => install.cleanup());

const check = () => {
  const result = checkDatabase({
    file: install.dbFile,
    exists: existsSync,
    openReadOnly: (file) => openDatabase(file, { readonly: true }),
  });
  result.db?.close();
  return result.section;
};

describe('checkDatabase', () => {
  it('a current, intact database', () => {
    openDatabase(install.dbFile).close();
    expect(check()).toMatchObject({
      status: 'ok',
      exists: true,
      opened: true,
      schemaVersion,
      codeSchemaVersion: schemaVersion,
      integrity: 'ok',
      integrityErrors: [],
    });
  });

  it('no file: no data yet, and nothing created', () => {
    expect(check()).toMatchObject({ status: 'note', exists: false, opened: false, findings: [{ code: 'no_data' }] });
    expect(existsSync(install.dataDir)).toBe(false);
  });

  it('newer than the code: database_too_new with the storage layer’s message', () => {
    openDatabase(install.dbFile).close();
    const raw = new BetterSqlite3(install.dbFile);
    raw.pragma(`user_version = ${schemaVersion + 3}`);
    raw.close();
    expect(check()).toMatchObject({
      status: 'problem',
      opened: false,
      findings: [
        {
          code: 'database_too_new',
          message: expect.stringContaining(`schema version ${schemaVersion + 3}, newer than this FieldKey (${schemaVersion})`),
        },
      ],
    });
  });

  it('not a database at all: database_corrupt with SQLite’s reason', () => {
    mkdirSync(install.dataDir);
    writeFileSync(install.dbFile, 'this is not a database, it is a text file long enough to have a header '.repeat(20));
    expect(check()).toMatchObject({
      status: 'problem',
      opened: false,
      findings: [{ code: 'database_corrupt', message: expect.stringContaining('(file is not a database)') }],
    });
  });

  it('a damaged page: integrity failed, with SQLite’s errors (at most INTEGRITY_ERRORS_SHOWN)', () => {
    corruptIndexPage(install.dbFile);
    const section = check();
    expect(section).toMatchObject({
      status: 'problem',
      opened: true,
      integrity: 'failed',
      findings: [{ code: 'database_corrupt', message: expect.stringContaining('is damaged (integrity check: 20 or more error(s))') }],
    });
    expect(section.integrityErrors).toHaveLength(INTEGRITY_ERRORS_SHOWN);
    expect(section.integrityErrors[0]).toMatch(/^Tree \d+ page \d+/);
  });

  it('an older schema is a note: the app upgrades it', () => {
    mkdirSync(install.dataDir);
    new BetterSqlite3(install.dbFile).close(); // an empty SQLite file: version 0
    expect(check()).toMatchObject({ status: 'note', schemaVersion: 0, integrity: 'ok', findings: [{ code: 'schema_outdated' }] });
  });
});
