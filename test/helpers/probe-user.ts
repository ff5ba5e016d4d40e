/**
 * For the child-process probes whose subject is another user's rights (the tests run as root, who
 * passes every permission check): `--as-uid UID` makes the process that user once its modules are
 * loaded, so the checkout itself need not be readable by that user; only what runs after has that
 * user's rights.
 */
import BetterSqlite3 from 'better-sqlite3';

/** Becomes `uid` (and its group, no supplementary groups) when `flag` is `--as-uid`. */
export function becomeProbeUser(flag: string | undefined, uid: string | undefined): void {
  if (flag !== '--as-uid' || uid === undefined) return;
  new BetterSqlite3(':memory:').close(); // load SQLite's native addon while the checkout is still readable
  process.setgroups?.([]);
  process.setgid?.(Number(uid));
  process.setuid?.(Number(uid));
}
