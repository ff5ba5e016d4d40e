/**
 * The app runtime with a real SQLite file and a test double of the auth service (the real one is
 * composed elsewhere and tested end to end): calls reach the right collaborator, notes follow the
 * unlocked account and its access, the sign-in page opens through the given port, and a start-up
 * failure becomes a `misconfigured` state.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../../src/shared/app-state';
import { FieldKeyError } from '../../../src/shared/errors';
import { accountIdFor } from '../../../src/main/core/accounts/account-id';
import { startAppRuntime, startupFailureState, type AppRuntime } from '../../../src/main/app/app-runtime';
import { problem } from '../../../src/main/core/doctor/doctor-report';
import type { AccountAccess, AuthService, SignInRequest } from '../../../src/main/core/auth/auth-service-port';
import { APP_ORIGIN } from '../../../src/main/app/ipc-sender';
import { fixedClock } from '../../../src/main/core/clock';

const APP = { url: 'app://fieldkey/index.html', mainFrame: true };
const ALICE = accountIdFor('https://idp.example', 'alice');
const ENDPOINT = 'https://idp.example/authorize';

/** Test double: records calls, lets the test set the unlocked account and its access. */
class AuthDouble implements AuthService {
  state: AppState = { status: 'signed-out', notice: null };
  active: string | undefined;
  access: AccountAccess = 'locked';
  calls: unknown[][] = [];
  listeners = new Set<(s: AppState) => void>();
  disposed = false;
  getState = () => this.state;
  subscribe = (l: (s: AppState) => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  beginSignIn = async (request: SignInRequest) => {
    this.calls.push(['beginSignIn', request]);
    return { authorizationUrl: `${ENDPOINT}?state=s`, authorizationEndpoint: ENDPOINT };
  };
  cancelSignIn = async () => void this.calls.push(['cancelSignIn']);
  setPin = async (pin: string, confirm: string) => void this.calls.push(['setPin', pin, confirm]);
  unlock = async (id: string, pin: string) => void this.calls.push(['unlock', id, pin]);
  lock = (reason: string) => void this.calls.push(['lock', reason]);
  wake = (reason: string) => void this.calls.push(['wake', reason]);
  signOut = async () => void this.calls.push(['signOut']);
  switchAccount = async (id: string) => void this.calls.push(['switchAccount', id]);
  retry = async () => void this.calls.push(['retry']);
  activeAccountId = () => this.active;
  accessFor = async (id: string) => (id === this.active ? this.access : 'locked');
  idleLockMinutes = () => 15;
  apiCredentials = () => undefined;
  onCheckIn = () => () => undefined;
  dispose = async () => {
    this.disposed = true;
  };
}

describe('app runtime', () => {
  let dir: string;
  let auth: AuthDouble;
  let opened: string[];
  let runtime: AppRuntime;
  const call = (method: string, ...args: unknown[]) => runtime.dispatcher.handle(`fieldkey:${method}`, APP, args);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fieldkey-runtime-'));
    auth = new AuthDouble();
    opened = [];
    runtime = await startAppRuntime({
      env: { FIELDKEY_DATA_DIR: dir },
      platform: process.platform,
      clock: fixedClock(new Date('2026-03-01T08:00:00Z')),
      fetch: async () => {
        throw new Error('no network in this test');
      },
      log: () => undefined,
      createAuthService: async (deps) => {
        expect(deps.db.open).toBe(true);
        return auth;
      },
      openSignInPage: async (started) => void opened.push(started.authorizationUrl),
      allowedOrigins: [APP_ORIGIN],
    });
  });

  afterEach(async () => {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes auth calls to the auth service and opens the sign-in page', async () => {
    expect(await call('getState')).toEqual({ ok: true, value: { status: 'signed-out', notice: null } });
    expect(await call('signIn')).toEqual({ ok: true, value: undefined });
    expect(await call('signIn', ALICE)).toMatchObject({ ok: true });
    expect(await call('addAccount')).toMatchObject({ ok: true });
    expect(await call('forgotPin', ALICE)).toMatchObject({ ok: true });
    await call('unlock', ALICE, '482915');
    await call('setPin', '482915', '482915');
    await call('lock');
    await call('switchAccount', ALICE);
    await call('retry');
    await call('signOut');
    await call('cancelSignIn');
    expect(auth.calls).toEqual([
      ['beginSignIn', { purpose: 'sign-in' }],
      ['beginSignIn', { purpose: 'sign-in', accountId: ALICE }],
      ['beginSignIn', { purpose: 'add-account' }],
      ['beginSignIn', { purpose: 'forgot-pin', accountId: ALICE }],
      ['unlock', ALICE, '482915'],
      ['setPin', '482915', '482915'],
      ['lock', 'user'],
      ['switchAccount', ALICE],
      ['retry'],
      ['signOut'],
      ['cancelSignIn'],
    ]);
    expect(opened).toEqual(Array(4).fill(`${ENDPOINT}?state=s`));
  });

  it('cancels the sign-in when the browser cannot be opened', async () => {
    await runtime.close();
    runtime = await startAppRuntime({
      env: { FIELDKEY_DATA_DIR: dir },
      platform: process.platform,
      clock: fixedClock(new Date()),
      fetch: async () => new Response(),
      log: () => undefined,
      createAuthService: async () => auth,
      openSignInPage: async () => {
        throw new FieldKeyError('sign_in_url_refused', 'refused');
      },
      allowedOrigins: [APP_ORIGIN],
    });
    expect(await call('signIn')).toEqual({ ok: false, error: { code: 'sign_in_url_refused', message: 'refused' } });
    expect(auth.calls.at(-1)).toEqual(['cancelSignIn']);
  });

  it('keeps notes to the unlocked account and enforces its access in the main process', async () => {
    expect(await call('listNotes')).toMatchObject({ ok: false, error: { code: 'not_unlocked' } });
    auth.active = ALICE;
    auth.access = 'full';
    const created = await call('createNote', 'Pump 4', 'Seal replaced.');
    expect(created).toMatchObject({ ok: true, value: { title: 'Pump 4' } });
    auth.access = 'read-only';
    expect(await call('listNotes')).toMatchObject({ ok: true, value: [{ title: 'Pump 4' }] });
    expect(await call('createNote', 'Another', '')).toMatchObject({ ok: false, error: { code: 'read_only' } });
    auth.access = 'denied';
    expect(await call('getNote', 1)).toMatchObject({ ok: false, error: { code: 'connection_required' } });
  });

  it('pushes states, locks and reports idle minutes through the auth service', () => {
    const seen: AppState[] = [];
    const stop = runtime.subscribe((s) => seen.push(s));
    const next: AppState = { status: 'locked', notice: null, accounts: [], selectedAccountId: null, canAddAccount: true };
    for (const l of auth.listeners) l(next);
    stop();
    expect(seen).toEqual([next]);
    runtime.lock('suspend');
    expect(auth.calls).toContainEqual(['lock', 'suspend']);
    runtime.wake('resume');
    expect(auth.calls).toContainEqual(['wake', 'resume']);
    expect(runtime.idleLockMinutes()).toBe(15);
  });

  it('disposes the auth service on close', async () => {
    await runtime.close();
    await runtime.close();
    expect(auth.disposed).toBe(true);
  });
});

describe('app runtime that cannot start', () => {
  it('shows a misconfigured state with the reason when the database is unusable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-runtime-bad-'));
    try {
      const file = join(dir, 'fieldkey.db');
      writeFileSync(file, 'this is not a database');
      const createAuthService = vi.fn();
      const log: string[] = [];
      const runtime = await startAppRuntime({
        env: {},
        platform: process.platform,
        clock: fixedClock(new Date()),
        fetch: async () => new Response(),
        log: (line) => log.push(line),
        createAuthService,
        openSignInPage: async () => undefined,
        allowedOrigins: [APP_ORIGIN],
        databaseFile: file,
      });
      expect(createAuthService).not.toHaveBeenCalled();
      // SQLite's error code beside the class name, never its message.
      expect(log).toEqual(['FieldKey could not start: SqliteError (SQLITE_NOTADB)', 'Storage diagnosis: database_corrupt']);
      const state = await runtime.dispatcher.handle('fieldkey:getState', APP, []);
      expect(state).toMatchObject({ ok: true, value: { status: 'misconfigured', summary: expect.stringContaining('Contact IT') } });
      // The doctor's diagnosis of the file, not a generic "could not open its data".
      expect(runtime.getState()).toMatchObject({
        problems: [
          { field: null, code: 'database_corrupt', message: expect.stringContaining(`${file} is not a readable FieldKey database`) },
        ],
      });
      expect(await runtime.dispatcher.handle('fieldkey:unlock', APP, [ALICE, '482915'])).toMatchObject({
        ok: false,
        error: { code: 'app_unavailable' },
      });
      expect(await runtime.dispatcher.handle('fieldkey:getState', { url: 'https://evil.example/', mainFrame: true }, [])).toMatchObject({
        ok: false,
        error: { code: 'forbidden_sender' },
      });
      await runtime.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a folder where the database file belongs',
      (dir: string) => mkdirSync(join(dir, 'fieldkey.db'), { mode: 0o755 }),
      'database_not_a_file',
    ],
    ['a file where the data folder belongs', (dir: string) => writeFileSync(join(dir, 'data'), 'notes'), 'data_dir_not_a_directory'],
  ])('%s: its own code, and what is there is left as it was', async (_what, prepare, code) => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-runtime-kind-'));
    try {
      prepare(dir);
      const file = code === 'database_not_a_file' ? join(dir, 'fieldkey.db') : join(dir, 'data', 'fieldkey.db');
      const occupied = code === 'database_not_a_file' ? file : join(dir, 'data');
      const before = statSync(occupied).mode;
      const log: string[] = [];
      const runtime = await startAppRuntime({
        env: {},
        platform: 'linux',
        clock: fixedClock(new Date()),
        fetch: async () => new Response(),
        log: (line) => log.push(line),
        createAuthService: vi.fn(),
        openSignInPage: async () => undefined,
        allowedOrigins: [APP_ORIGIN],
        databaseFile: file,
      });
      expect(runtime.getState()).toMatchObject({
        status: 'misconfigured',
        problems: [{ code, message: expect.stringContaining(occupied) }],
      });
      expect(log).toEqual([expect.stringMatching(/^FieldKey could not start: /), `Storage diagnosis: ${code}`]);
      expect(statSync(occupied).mode).toBe(before);
      await runtime.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the error of an auth service that fails to build, and closes the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-runtime-bad-'));
    try {
      let db: { open: boolean } | undefined;
      const runtime = await startAppRuntime({
        env: { FIELDKEY_DATA_DIR: dir },
        platform: process.platform,
        clock: fixedClock(new Date()),
        fetch: async () => new Response(),
        log: () => undefined,
        createAuthService: async (deps) => {
          db = deps.db;
          throw new FieldKeyError('keychain_unavailable', 'No OS keychain is reachable. Install gnome-keyring.');
        },
        openSignInPage: async () => undefined,
        allowedOrigins: [APP_ORIGIN],
      });
      expect(runtime.getState()).toMatchObject({
        status: 'misconfigured',
        problems: [{ field: null, code: 'keychain_unavailable', message: 'No OS keychain is reachable. Install gnome-keyring.' }],
      });
      expect(db?.open).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('startupFailureState', () => {
  const readOnly = problem('data_dir_read_only', 'The data directory /data is on a disk mounted read-only: ... Mount the disk read-write.');
  const full = problem('disk_full', 'The disk holding /data has 12 KiB free: ... Free space on this disk.');
  const denied = problem('permission_denied', 'This user may not read and write /data/fieldkey.db-wal (permission denied): ...');

  it('a database that would not open: the storage problems with their codes, in the doctor’s order, instead of the symptom', () => {
    const error = new FieldKeyError('data_not_private', 'FieldKey cannot make /data private to this user. Check who owns it, or ask IT.');
    expect(startupFailureState(error, { failedAt: 'database', storage: [readOnly, denied] })).toEqual({
      status: 'misconfigured',
      notice: null,
      summary: 'FieldKey cannot start on this laptop. Contact IT.',
      problems: [
        { field: null, code: 'data_dir_read_only', message: readOnly.message },
        { field: null, code: 'permission_denied', message: denied.message },
      ],
      source: null,
    });
  });

  it('a failure the diagnosis does not explain keeps the error, with its code when it has one', () => {
    const error = new FieldKeyError('database_unavailable', 'Cannot open the FieldKey database at /data/fieldkey.db.');
    expect(startupFailureState(error, { failedAt: 'database', storage: [] })).toMatchObject({
      problems: [{ field: null, code: 'database_unavailable', message: error.message }],
    });
    const unexpected = startupFailureState(new TypeError('boom'), { failedAt: 'database', storage: [] });
    expect(unexpected).toMatchObject({ problems: [{ field: null, message: expect.stringContaining('fieldkey doctor') }] });
    expect(unexpected.status === 'misconfigured' && unexpected.problems[0]!.code).toBeUndefined();
  });

  it('an auth service that failed on an open database: its error stays beside what the diagnosis found', () => {
    const error = new FieldKeyError('keychain_unavailable', 'No OS keychain is reachable. Install gnome-keyring.');
    expect(startupFailureState(error, { failedAt: 'auth-service', storage: [full] })).toMatchObject({
      problems: [
        { field: null, code: 'disk_full', message: full.message },
        { field: null, code: 'keychain_unavailable', message: error.message },
      ],
    });
    expect(startupFailureState(error, { failedAt: 'auth-service', storage: [] })).toMatchObject({
      problems: [{ code: 'keychain_unavailable', message: error.message }],
    });
  });
});
