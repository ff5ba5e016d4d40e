/**
 * Doctor: the database file. It is opened READ-ONLY (database.ts runs no migration then) and never
 * created: a missing file is "no data yet". Reports the schema version against the code's and
 * `PRAGMA integrity_check`, and whether the app can write there (data-dir-check.ts).
 *
 * Only a file SQLite finds damaged (SQLITE_CORRUPT, SQLITE_NOTADB, a failed integrity check) gets
 * the advice to keep a copy and restore or replace it; a file that cannot be opened or read for any
 * other reason (permissions, a read-only or full disk, another process holding a lock) is healthy
 * and its advice never moves or deletes it.
 */
import { isFieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { currentVersion, schemaVersion } from '../records/schema';
import { checkDataDir } from './data-dir-check';
import { checked, note, problem, type DatabaseSection, type Finding } from './doctor-report';

export interface DatabaseCheckDeps {
  file: string;
  exists: (path: string) => boolean;
  /** Opens the file read-only (`openDatabase(file, { readonly: true })`). */
  openReadOnly: (file: string) => Database;
}

export interface DatabaseCheck {
  section: DatabaseSection;
  /** The open database, for the other checks; the caller closes it. */
  db: Database | undefined;
}

const RECOVERY =
  'Keep a copy for IT, then restore it from a backup, or move it aside and sign in again online (its field notes and audit log stay in the copy).';

/** integrity_check stops after this many errors; a damaged file is damaged either way. */
export const INTEGRITY_ERRORS_SHOWN = 20;

/** SQLite's own error text (e.g. "file is not a database"), which names no stored value. */
export function sqliteMessage(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('SQLITE_') ? error.message : undefined;
}

/** True for SQLite's errors that mean the file's content is damaged, not that it cannot be reached. */
export function isDamage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

export function checkDatabase(deps: DatabaseCheckDeps): DatabaseCheck {
  const base = { file: deps.file, codeSchemaVersion: schemaVersion, integrityErrors: [] as string[] };
  const storage = checkDataDir(deps.file, deps.exists);
  if (!deps.exists(deps.file)) {
    // "FieldKey creates it" only when the storage check found nothing that stops it.
    const creates = storage.length === 0 ? ' FieldKey creates it when it first starts.' : '';
    const findings = [
      ...storage,
      note('no_data', `No FieldKey database at ${deps.file} yet: nothing has been stored on this device.${creates}`),
    ];
    return {
      db: undefined,
      section: { ...checked(findings), ...base, exists: false, opened: false, schemaVersion: null, integrity: null },
    };
  }

  let db: Database;
  try {
    db = deps.openReadOnly(deps.file);
  } catch (error) {
    const findings = explained(storage, [...storage, openProblem(deps.file, error)]);
    return { db: undefined, section: { ...checked(findings), ...base, exists: true, opened: false, schemaVersion: null, integrity: null } };
  }

  const findings: Finding[] = [...storage];
  let version: number | null = null;
  let integrity: DatabaseSection['integrity'] = null;
  const integrityErrors: string[] = [];
  try {
    version = currentVersion(db);
    if (version < schemaVersion) {
      findings.push(
        note(
          'schema_outdated',
          `The database has schema version ${version}; this FieldKey upgrades it to ${schemaVersion} when it next starts.`,
        ),
      );
    }
    const rows = db.pragma(`integrity_check(${INTEGRITY_ERRORS_SHOWN})`) as { integrity_check: string }[];
    // Newer SQLite returns one row with one error per line, headed by "*** in database main ***".
    const messages = rows.flatMap((row) => row.integrity_check.split('\n')).filter((line) => line !== '' && !line.startsWith('***'));
    if (messages.length === 1 && messages[0] === 'ok') {
      integrity = 'ok';
    } else {
      integrity = 'failed';
      integrityErrors.push(...messages);
      const count = `${messages.length}${messages.length >= INTEGRITY_ERRORS_SHOWN ? ' or more' : ''}`;
      findings.push(problem('database_corrupt', `The database ${deps.file} is damaged (integrity check: ${count} error(s)). ${RECOVERY}`));
    }
  } catch (error) {
    const detail = sqliteMessage(error);
    if (detail && isDamage(error)) integrityErrors.push(detail);
    if (isDamage(error)) {
      integrity = 'failed';
      findings.push(problem('database_corrupt', `The database ${deps.file} cannot be read${detail ? ` (${detail})` : ''}. ${RECOVERY}`));
    } else {
      integrity = null;
      findings.push(unavailable(deps.file, detail));
    }
  }
  return {
    db,
    section: {
      ...checked(explained(storage, findings)),
      ...base,
      exists: true,
      opened: true,
      schemaVersion: version,
      integrity,
      integrityErrors,
    },
  };
}

/** The data-directory problems that explain why SQLite cannot open or read a healthy file. */
const STORAGE_CAUSES: ReadonlySet<string> = new Set([
  'permission_denied',
  'data_dir_read_only',
  'disk_full',
  'data_dir_not_a_directory',
  'database_not_a_file',
]);

/**
 * `findings` without database_unavailable when the storage check already explains it: a file this
 * user may not read, a read-only or full disk says why better than SQLite's "unable to open" or
 * "disk I/O error", and "if FieldKey is running, close it" would be wrong advice beside them.
 * A damaged or too-new file is still reported: the disk does not explain that.
 */
function explained(storage: readonly Finding[], findings: Finding[]): Finding[] {
  if (!storage.some((f) => STORAGE_CAUSES.has(f.code))) return findings;
  return findings.filter((f) => f.code !== 'database_unavailable');
}

function openProblem(file: string, error: unknown): Finding {
  if (isFieldKeyError(error, 'database_too_new')) return problem('database_too_new', error.message);
  const detail = sqliteMessage(error) ?? sqliteMessage(isFieldKeyError(error) ? error.cause : undefined);
  if (isFieldKeyError(error, 'database_unavailable'))
    return problem('database_unavailable', `${error.message}${detail ? ` (${detail})` : ''}`);
  const cause = isFieldKeyError(error) ? error.cause : error;
  if (!isDamage(cause)) return unavailable(file, sqliteMessage(cause));
  return problem('database_corrupt', `The file ${file} is not a readable FieldKey database${detail ? ` (${detail})` : ''}. ${RECOVERY}`);
}

/** A healthy file FieldKey cannot read right now: the advice leaves it in place. */
function unavailable(file: string, detail: string | undefined): Finding {
  return problem(
    'database_unavailable',
    `The database ${file} cannot be read right now${detail ? ` (${detail})` : ''}. If FieldKey is running, close it and try again; the file is not damaged by this, so leave it where it is.`,
  );
}
