/**
 * The database check where the file system is the subject, with real file systems: a small tmpfs in
 * a private mount namespace (`unshare`), remounted read-only or filled to the last block (also
 * with the data directory not created yet), and a database or a folder another user owns (the probe runs as `nobody` when the tests run as root, since root
 * passes every permission check). The check runs in a child process (fixtures/database-check-probe.ts).
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseSection } from '../../../../src/main/core/doctor/doctor-report';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { REPO } from '../../../helpers/tsx-process';
import { tempInstall, type Install } from './doctor-fixtures';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./fixtures/database-check-probe.ts', import.meta.url));
const NOBODY = 65534;

let install: Install;
let seedFile: string;
beforeEach(() => {
  install = tempInstall();
  mkdirSync(install.dataDir);
  seedFile = join(install.dir, 'seed.db');
  openDatabase(seedFile).close();
});
afterEach(() => install.cleanup());

async function probeSection(command: string, args: string[]): Promise<DatabaseSection> {
  const { stdout } = await run(command, args, { cwd: REPO, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as DatabaseSection;
}

/**
 * Runs the probe on `mount/fieldkey.db` (or `mount/<file>`) after `prepare` (shell) ran on a fresh
 * 1 MiB tmpfs at `mount`, which holds a copy of a healthy database as `fieldkey.db`.
 */
function onTmpfs(prepare: string, file = 'fieldkey.db'): Promise<DatabaseSection> {
  const mount = install.dataDir;
  const script = `set -e; mount -t tmpfs -o size=1m tmpfs "$1"; cp "$2" "$1/fieldkey.db"; ${prepare}; exec "$3" --import tsx "$4" "$1/$5"`;
  return probeSection('unshare', ['-Urm', 'sh', '-c', script, 'sh', mount, seedFile, process.execPath, probe, file]);
}

/** Runs the probe as a user who does not own the data directory or its files. */
function asAnotherUser(file: string): Promise<DatabaseSection> {
  if (process.getuid?.() === 0) {
    return probeSection(process.execPath, ['--import', 'tsx', probe, file, '--as-uid', String(NOBODY)]);
  }
  return probeSection(process.execPath, ['--import', 'tsx', probe, file]);
}

const codes = (section: DatabaseSection) => section.findings.map((f) => f.code);
/** No advice may send a healthy file away. */
const neverMovesTheFile = (section: DatabaseSection) => {
  for (const finding of section.findings) expect(finding.message).not.toMatch(/move it aside|delete|remove|restore it from a backup/i);
};

describe('checkDatabase and the data directory', () => {
  // SQLite cannot read the file there either (a read-only open in WAL mode needs its -shm file), but
  // the disk says why: no database_unavailable with its "close FieldKey and try again" beside it.
  it('a data directory on a disk mounted read-only: data_dir_read_only alone, the file neither damaged nor "in use"', async () => {
    const section = await onTmpfs('mount -o remount,ro "$1"');
    expect(section).toMatchObject({ status: 'problem', exists: true, integrity: null });
    expect(codes(section)).toEqual(['data_dir_read_only']);
    expect(section.findings.find((f) => f.code === 'data_dir_read_only')!.message).toMatch(/mounted read-only.*Mount the disk read-write/);
    neverMovesTheFile(section);
  });

  it('a full disk: disk_full alone, with how much is free, the database neither damaged nor "in use"', async () => {
    const section = await onTmpfs('dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null || true');
    expect(codes(section)).toEqual(['disk_full']);
    expect(section.findings.find((f) => f.code === 'disk_full')!.message).toMatch(
      /has \d+ KiB free.*Free space on this disk elsewhere than the FieldKey data directory/,
    );
    neverMovesTheFile(section);
  });

  it('a data directory not created yet, on a disk mounted read-only: data_dir_read_only naming it, not just "no data yet"', async () => {
    const section = await onTmpfs('mount -o remount,ro "$1"', 'fieldkey/data/fieldkey.db');
    const missing = join(install.dataDir, 'fieldkey', 'data');
    expect(section).toMatchObject({ status: 'problem', exists: false, opened: false });
    expect(codes(section)).toEqual(['data_dir_read_only', 'no_data']);
    expect(section.findings[0]!.message).toMatch(
      /does not exist yet and FieldKey cannot create it: .* is on a disk mounted read-only.*Mount the disk read-write/,
    );
    expect(section.findings[0]!.message).toContain(`The data directory ${missing} does not exist yet`);
    expect(section.findings[0]!.message).toContain(`${install.dataDir} is on a disk mounted read-only`);
    // The note no longer promises what the disk does not allow.
    expect(section.findings[1]!.message).not.toContain('FieldKey creates it');
    neverMovesTheFile(section);
  });

  it('a data directory not created yet, in a folder this user may not write: permission_denied naming both', async () => {
    const missing = join(install.dataDir, 'fieldkey');
    chmodSync(install.dir, 0o755);
    chmodSync(install.dataDir, process.getuid?.() === 0 ? 0o755 : 0o555);
    const section = await asAnotherUser(join(missing, 'fieldkey.db'));
    expect(section).toMatchObject({
      status: 'problem',
      exists: false,
      findings: [
        {
          code: 'permission_denied',
          message: expect.stringContaining(
            `The data directory ${missing} does not exist yet and FieldKey cannot create it: this user may not create folders in ${install.dataDir} (permission denied).`,
          ),
        },
        { code: 'no_data' },
      ],
    });
    neverMovesTheFile(section);
    chmodSync(install.dataDir, 0o755);
  });

  it('a data directory not created yet, in a folder this user may write: only "no data yet"', async () => {
    const section = await onTmpfs('true', 'fieldkey/data/fieldkey.db');
    expect(section).toMatchObject({
      status: 'note',
      exists: false,
      findings: [{ code: 'no_data', message: expect.stringContaining('FieldKey creates it when it first starts') }],
    });
  });

  it('a database this user may not read: permission_denied naming the file, not unavailable or damaged', async () => {
    copyFileSync(seedFile, install.dbFile);
    chmodSync(install.dir, 0o755);
    chmodSync(install.dataDir, 0o777);
    chmodSync(install.dbFile, process.getuid?.() === 0 ? 0o600 : 0o000);
    const section = await asAnotherUser(install.dbFile);
    expect(section).toMatchObject({
      status: 'problem',
      opened: false,
      findings: [{ code: 'permission_denied', message: expect.stringContaining(install.dbFile) }],
    });
    neverMovesTheFile(section);
    chmodSync(install.dbFile, 0o600);
    expect(readFileSync(install.dbFile).equals(readFileSync(seedFile))).toBe(true);
  });

  it('a data directory this user may not write: data_dir_read_only, though the file reads', async () => {
    copyFileSync(seedFile, install.dbFile);
    chmodSync(install.dir, 0o755);
    chmodSync(install.dbFile, 0o644);
    chmodSync(install.dataDir, process.getuid?.() === 0 ? 0o755 : 0o555);
    const section = await asAnotherUser(install.dbFile);
    expect(codes(section)).toContain('data_dir_read_only');
    expect(section.findings.find((f) => f.code === 'data_dir_read_only')!.message).toMatch(
      /not writable by this user.*Give this user write access/,
    );
    expect(codes(section)).not.toContain('database_corrupt');
    neverMovesTheFile(section);
    chmodSync(install.dataDir, 0o755);
  });
});
