/**
 * Doctor: can FieldKey write where its database lives? Doctor opens the database read-only, so a
 * data directory the app cannot write (a read-only disk, a directory or file of another user) or a
 * full disk would pass the database check while the app fails at its first write (a counted PIN
 * attempt, a rotated refresh token). Each cause has its own code and advice; none of it suggests
 * moving or deleting a FieldKey file, as the files themselves are fine. Only something else sitting
 * where FieldKey's folder or database belongs (a file, a folder) is to be moved out of the way.
 */
import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { databaseFiles } from '../environment';
import { problem, type Finding } from './doctor-report';

/** Below this much free space on the data directory's disk, writes are about to fail. */
export const MIN_FREE_BYTES = 1024 * 1024;

const KEEP = 'The files in it are intact: leave them where they are.';

/**
 * The problems of the database's directory and files, as this user sees them. `exists` tells which
 * of them are there; a directory that does not exist yet (the app creates it) is judged by the
 * nearest folder above it that exists (see missingDataDir).
 */
export function checkDataDir(file: string, exists: (path: string) => boolean): Finding[] {
  const dir = dirname(file);
  if (!exists(dir)) return missingDataDir(dir, exists);
  if (!isKind(dir, 'directory')) {
    return [
      problem(
        'data_dir_not_a_directory',
        `${dir}, where FieldKey keeps its data, is not a folder: FieldKey cannot keep its database there. Move what is there aside or point FIELDKEY_DATA_DIR at a folder; it is not a FieldKey file.`,
      ),
    ];
  }
  const notFiles = databaseFiles(file).filter((path) => exists(path) && !isKind(path, 'file'));
  if (notFiles.length > 0) {
    return [
      problem(
        'database_not_a_file',
        `${notFiles.join(', ')} ${notFiles.length === 1 ? 'is' : 'are'} not a regular file (a folder or something else sits where FieldKey keeps its database): FieldKey cannot open its database. Move ${notFiles.length === 1 ? 'it' : 'them'} out of the data directory; ${notFiles.length === 1 ? 'it is' : 'they are'} not a FieldKey database.`,
      ),
    ];
  }
  const denied = errno(() => accessSync(dir, constants.R_OK | constants.X_OK));
  if (denied) return [permissionDenied(dir, 'the data directory')];

  const findings: Finding[] = [];
  const dirWrite = errno(() => accessSync(dir, constants.W_OK));
  if (dirWrite) {
    const why = dirWrite === 'EROFS' ? 'is on a disk mounted read-only' : 'is not writable by this user';
    findings.push(
      problem(
        'data_dir_read_only',
        `The data directory ${dir} ${why}: FieldKey can show what it stored but cannot sign in, count a PIN attempt or save a note. ${dirWrite === 'EROFS' ? 'Mount the disk read-write' : 'Give this user write access to the directory'} (or point FIELDKEY_DATA_DIR at a writable directory with a copy of it). ${KEEP}`,
      ),
    );
  }
  const unusable = databaseFiles(file).filter(
    (path) => exists(path) && errno(() => accessSync(path, dirWrite ? constants.R_OK : constants.R_OK | constants.W_OK)) !== undefined,
  );
  if (unusable.length > 0) findings.push(permissionDenied(unusable.join(', '), unusable.length === 1 ? 'this file' : 'these files'));

  if (!dirWrite) {
    const free = freeBytes(dir);
    if (free !== undefined && free < MIN_FREE_BYTES) {
      findings.push(
        problem(
          'disk_full',
          `The disk holding ${dir} has ${Math.floor(free / 1024)} KiB free: FieldKey cannot record a sign-in, a PIN attempt or a note until there is room. Free space on this disk elsewhere than the FieldKey data directory (its files are needed).`,
        ),
      );
    }
  }
  return findings;
}

/**
 * A data directory that does not exist yet: FieldKey creates it (and the folders missing above it)
 * when it first starts, so what can fail is creating it in the nearest folder that exists. That
 * folder on a read-only disk is data_dir_read_only, one this user may not write is
 * permission_denied; both name the directory FieldKey needs to create. No folder found (an `exists`
 * that sees none) is not judged.
 */
function missingDataDir(dir: string, exists: (path: string) => boolean): Finding[] {
  const parent = nearestExisting(dir, exists);
  if (parent === undefined) return [];
  const cannot = errno(() => accessSync(parent, constants.W_OK | constants.X_OK));
  if (!cannot) return [];
  const needed = `The data directory ${dir} does not exist yet and FieldKey cannot create it`;
  const elsewhere = 'or point FIELDKEY_DATA_DIR at a directory this user may write';
  if (cannot === 'EROFS') {
    return [
      problem(
        'data_dir_read_only',
        `${needed}: ${parent} is on a disk mounted read-only, so FieldKey cannot store a sign-in, a PIN or a note. Mount the disk read-write (${elsewhere}).`,
      ),
    ];
  }
  return [
    problem(
      'permission_denied',
      `${needed}: this user may not create folders in ${parent} (permission denied). Give this user write access to ${parent}, or create ${dir} owned by this user (${elsewhere}).`,
    ),
  ];
}

/** The nearest of `dir`'s parents that exists, or undefined when none does. */
function nearestExisting(dir: string, exists: (path: string) => boolean): string | undefined {
  for (let path = dirname(dir); ; path = dirname(path)) {
    if (exists(path)) return path;
    if (dirname(path) === path) return undefined;
  }
}

function permissionDenied(what: string, noun: string): Finding {
  return problem(
    'permission_denied',
    `This user may not read and write ${what} (permission denied): FieldKey cannot use ${noun}. Give this user back read and write access (it may have been created by another user, or by running FieldKey with sudo). ${KEEP}`,
  );
}

/** Whether `path` is a directory or a regular file (following symlinks); true when it cannot be read (the access checks then say why). */
function isKind(path: string, kind: 'directory' | 'file'): boolean {
  try {
    const stats = statSync(path);
    return kind === 'directory' ? stats.isDirectory() : stats.isFile();
  } catch {
    return true;
  }
}

/** The `code` of the error `run` throws (EACCES, EROFS, ...), or undefined when it does not throw. */
function errno(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : 'EIO';
  }
}

function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}
