/**
 * The real app runtime started where its storage is the problem, on real file systems: a small
 * tmpfs in a private mount namespace (`unshare`) remounted read-only or filled to the last block
 * (also with the data directory not created yet), a database or a folder another user owns, and a
 * file of random bytes. The start fails each time, and the "not set up" state names the cause with
 * the doctor's code and advice; no advice for a healthy file sends it away. The runtime runs in a
 * child process (fixtures/startup-probe.ts), as root inside the namespace, where only a read-only
 * mount or a full disk (not a file mode) stops a write.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, ConfigurationProblem, MisconfiguredState } from '../../../src/shared/app-state';
import { startAppRuntime } from '../../../src/main/app/app-runtime';
import { openDatabase } from '../../../src/main/adapters/sqlite/database';
import { fixedClock } from '../../../src/main/core/clock';
import { REPO } from '../../helpers/tsx-process';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./fixtures/startup-probe.ts', import.meta.url));
const NOBODY = 65534;

interface ProbeResult {
  authBuilt: boolean;
  state: AppState;
  log: string[];
}

let dir: string;
let dataDir: string;
let dbFile: string;
let seedFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-runtime-storage-'));
  dataDir = join(dir, 'data');
  dbFile = join(dataDir, 'fieldkey.db');
  mkdirSync(dataDir);
  seedFile = join(dir, 'seed.db');
  openDatabase(seedFile).close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function probeStart(command: string, args: string[]): Promise<ProbeResult> {
  const { stdout } = await run(command, args, { cwd: REPO, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
}

/**
 * Starts the runtime on `mount/fieldkey.db` (or `mount/<file>`) after `prepare` (shell) ran on a
 * fresh 1 MiB tmpfs at `mount` holding a copy of a healthy database (`$2`) as `fieldkey.db`,
 * private to its user as the app makes it.
 */
function onTmpfs(prepare: string, file = 'fieldkey.db'): Promise<ProbeResult> {
  const script = `set -e; mount -t tmpfs -o size=1m,mode=0700 tmpfs "$1"; cp "$2" "$1/fieldkey.db"; chmod 600 "$1/fieldkey.db"; ${prepare}; exec "$3" --import tsx "$4" "$1/$5"`;
  return probeStart('unshare', ['-Urm', 'sh', '-c', script, 'sh', dataDir, seedFile, process.execPath, probe, file]);
}

function misconfigured(state: AppState): MisconfiguredState {
  expect(state.status).toBe('misconfigured');
  return state as MisconfiguredState;
}

const codes = (state: MisconfiguredState) => state.problems.map((p) => p.code);
const withCode = (state: MisconfiguredState, code: string): ConfigurationProblem => state.problems.find((p) => p.code === code)!;
/** No advice may send a healthy file away. */
const neverMovesTheFile = (state: MisconfiguredState) => {
  for (const problem of state.problems) expect(problem.message).not.toMatch(/\bmove|delete|remove|restore/i);
};

describe('the app runtime on storage it cannot use', () => {
  it('a data directory on a disk mounted read-only: data_dir_read_only with the doctor’s advice', async () => {
    const result = await onTmpfs('mount -o remount,ro "$1"');
    expect(result.authBuilt).toBe(false);
    const state = misconfigured(result.state);
    // Not database_unavailable beside it: "close FieldKey and try again" is wrong when the disk is the cause.
    expect(codes(state)).toEqual(['data_dir_read_only']);
    expect(withCode(state, 'data_dir_read_only').message).toMatch(/is on a disk mounted read-only.*Mount the disk read-write/);
    neverMovesTheFile(state);
    // SQLite's error code beside the class name, never its message.
    expect(result.log).toEqual(['FieldKey could not start: SqliteError (SQLITE_CANTOPEN)', 'Storage diagnosis: data_dir_read_only']);
  });

  it('a read-only disk before the first start (no database yet): data_dir_read_only, not a generic failure', async () => {
    const result = await onTmpfs('rm "$1/fieldkey.db"; mount -o remount,ro "$1"');
    const state = misconfigured(result.state);
    expect(codes(state)).toEqual(['data_dir_read_only']);
    neverMovesTheFile(state);
  });

  // A read-only home, or FIELDKEY_DATA_DIR pointing into a read-only mount: the folder to create is named.
  it('a data directory not created yet, on a disk mounted read-only: data_dir_read_only naming it, not a generic failure', async () => {
    const result = await onTmpfs('mount -o remount,ro "$1"', 'fieldkey/data/fieldkey.db');
    const state = misconfigured(result.state);
    expect(state.problems).toEqual([
      {
        field: null,
        code: 'data_dir_read_only',
        message: expect.stringContaining(
          `The data directory ${join(dataDir, 'fieldkey', 'data')} does not exist yet and FieldKey cannot create it: ${dataDir} is on a disk mounted read-only`,
        ),
      },
    ]);
    neverMovesTheFile(state);
    expect(result.log).toContain('Storage diagnosis: data_dir_read_only');
  });

  it.runIf(process.getuid?.() === 0)(
    'a data directory not created yet, in a folder of another user: permission_denied naming both',
    async () => {
      chmodSync(dir, 0o755);
      chmodSync(dataDir, 0o755);
      const missing = join(dataDir, 'fieldkey');
      const result = await probeStart(process.execPath, [
        '--import',
        'tsx',
        probe,
        join(missing, 'fieldkey.db'),
        '--as-uid',
        String(NOBODY),
      ]);
      const state = misconfigured(result.state);
      expect(state.problems).toEqual([
        {
          field: null,
          code: 'permission_denied',
          message: expect.stringContaining(
            `The data directory ${missing} does not exist yet and FieldKey cannot create it: this user may not create folders in ${dataDir}`,
          ),
        },
      ]);
      neverMovesTheFile(state);
    },
  );

  it('a full disk: disk_full with how much is free, the database itself not called damaged', async () => {
    const result = await onTmpfs('dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null || true');
    expect(result.authBuilt).toBe(false);
    const state = misconfigured(result.state);
    expect(codes(state)).toEqual(['disk_full']);
    expect(withCode(state, 'disk_full').message).toMatch(
      /has \d+ KiB free.*Free space on this disk elsewhere than the FieldKey data directory/,
    );
    neverMovesTheFile(state);
    expect(result.log[0]).toMatch(/^FieldKey could not start: SqliteError \(SQLITE_[A-Z_]+\)$/);
  });

  // As a non-root user the runtime owns the files it is given and narrows their modes itself, so
  // only root can hand it files of another user.
  it.runIf(process.getuid?.() === 0)('a database of another user: permission_denied naming the file, the file untouched', async () => {
    copyFileSync(seedFile, dbFile);
    chmodSync(dir, 0o755);
    chmodSync(dataDir, 0o777);
    chmodSync(dbFile, 0o600);
    const result = await probeStart(process.execPath, ['--import', 'tsx', probe, dbFile, '--as-uid', String(NOBODY)]);
    const state = misconfigured(result.state);
    expect(state.problems).toEqual([{ field: null, code: 'permission_denied', message: expect.stringContaining(dbFile) }]);
    neverMovesTheFile(state);
    expect(readFileSync(dbFile).equals(readFileSync(seedFile))).toBe(true);
  });

  it('a damaged file (random bytes): database_corrupt, with the advice to keep a copy for IT', async () => {
    writeFileSync(dbFile, randomBytes(16 * 1024), { mode: 0o600 });
    chmodSync(dataDir, 0o700);
    const createAuthService = vi.fn();
    const runtime = await startAppRuntime({
      env: {},
      platform: process.platform,
      clock: fixedClock(new Date('2026-03-01T08:00:00Z')),
      fetch: async () => new Response(),
      log: () => undefined,
      createAuthService,
      openSignInPage: async () => undefined,
      allowedOrigins: [],
      databaseFile: dbFile,
    });
    expect(createAuthService).not.toHaveBeenCalled();
    const state = misconfigured(runtime.getState());
    expect(state.problems).toEqual([
      {
        field: null,
        code: 'database_corrupt',
        message: expect.stringMatching(new RegExp(`${dbFile} is not a readable FieldKey database .*Keep a copy for IT, then restore it`)),
      },
    ]);
    await runtime.close();
  });
});
