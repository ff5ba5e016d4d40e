/**
 * The doctor's storage diagnosis as the app uses it when it cannot start: the problems
 * `checkDatabase` (with `checkDataDir`) finds for the database file the app tried to open, so the
 * "not set up" screen names the same cause, with the same code and advice, as `fieldkey doctor`.
 * Notes (no data yet, a schema this FieldKey upgrades) are not problems and are left out.
 *
 * The file system and the read-only open are passed in (the app wires the real ones). The
 * diagnosis never throws: a screen that explains a failure must not fail itself.
 */
import { checkDatabase, type DatabaseCheckDeps } from './database-check';
import type { Finding } from './doctor-report';

export function storageProblems(deps: DatabaseCheckDeps): Finding[] {
  try {
    const { db, section } = checkDatabase(deps);
    try {
      db?.close();
    } catch {
      // Closing a read-only handle changes nothing on disk; the findings stand.
    }
    return section.findings.filter((finding) => finding.severity === 'problem');
  } catch {
    return [];
  }
}
