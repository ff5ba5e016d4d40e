/**
 * Keeps this install's files to the OS user who runs FieldKey. On Linux and macOS the data
 * directory is 0700 and the database with its `-wal` and `-shm` files 0600, whatever the umask:
 * on a shared laptop no other account may read a technician's notes or sealed sessions.
 *
 * The database file is created 0600 before SQLite opens it; SQLite gives the `-wal` and `-shm`
 * files it creates later the mode of the database file. Files and a directory left wider by an
 * older FieldKey are narrowed at start-up. On Windows the per-user folder under %LOCALAPPDATA%
 * is private by the ACL it inherits, so nothing is changed there (see docs/security.md).
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FieldKeyError } from '../../../shared/errors';
import { databaseFiles } from '../../core/environment';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** True where POSIX modes decide who reads a file (everything but Windows). */
export function usesFileModes(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32';
}

/**
 * Creates the data directory (its parents with the usual modes) and the database file if missing,
 * then narrows the directory to 0700 and the database, `-wal` and `-shm` files that exist to 0600.
 */
export function prepareDatabaseFiles(file: string, platform: NodeJS.Platform = process.platform): void {
  ensurePrivateDirectory(dirname(file), platform);
  if (!usesFileModes(platform)) return;
  createIfMissing(() => closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE)));
  narrowDatabaseFiles(file, platform);
}

/** Creates `dir` if missing (its parents with the usual modes) and narrows it to 0700 (no-op on Windows). */
export function ensurePrivateDirectory(dir: string, platform: NodeJS.Platform = process.platform): void {
  mkdirSync(dirname(dir), { recursive: true });
  createIfMissing(() => mkdirSync(dir, { mode: PRIVATE_DIRECTORY_MODE }));
  if (usesFileModes(platform)) narrow(dir, PRIVATE_DIRECTORY_MODE, 'directory');
}

/** Narrows the database, `-wal` and `-shm` files that exist to 0600 (no-op on Windows). */
export function narrowDatabaseFiles(file: string, platform: NodeJS.Platform = process.platform): void {
  if (!usesFileModes(platform)) return;
  for (const path of databaseFiles(file)) {
    if (exists(path)) narrow(path, PRIVATE_FILE_MODE, 'file');
  }
}

function createIfMissing(create: () => void): void {
  try {
    create();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Narrows `path` to `mode`; something else than the `kind` expected there is left as it is and refused. */
function narrow(path: string, mode: number, kind: 'directory' | 'file'): void {
  const stats = statSync(path);
  if (kind === 'directory' ? !stats.isDirectory() : !stats.isFile()) {
    // As the OS says it: ENOTDIR where a folder was expected, EISDIR (or another kind) where a file was.
    const what = kind === 'directory' ? 'a folder' : 'a regular file';
    throw Object.assign(new Error(`${path} is not ${what}: FieldKey cannot keep its data there.`), {
      code: kind === 'directory' ? 'ENOTDIR' : 'EISDIR',
    });
  }
  if ((stats.mode & 0o777) === mode) return;
  try {
    chmodSync(path, mode);
  } catch (cause) {
    throw new FieldKeyError('data_not_private', `FieldKey cannot make ${path} private to this user. Check who owns it, or ask IT.`, {
      cause,
    });
  }
}
