/**
 * The main-process app without its window: the database, the auth service, field notes, their sync
 * to the Field API and the IPC dispatcher, composed once. The Electron shell and the development web host both start it and only
 * differ in how calls arrive (ipcMain / loopback HTTP), how the sign-in page opens (system browser /
 * browser tab) and which origin may call.
 *
 * If the app cannot start (the database cannot be opened, or the auth service fails to build) the
 * runtime still answers: its state is `misconfigured` with the reason, and every other call fails
 * with `app_unavailable`. A technician sees what to tell IT instead of a blank window. The reason
 * comes from the doctor's storage diagnosis of the database file (a read-only or full disk, no
 * permission, a damaged or too-new file), with the same codes and advice as `fieldkey doctor`.
 */
import { existsSync } from 'node:fs';
import type { AppState, ConfigurationProblem } from '../../shared/app-state';
import { FieldKeyError } from '../../shared/errors';
import type { MainHandlers } from '../../shared/ipc-contract';
import type { Clock } from '../core/clock';
import type { Finding } from '../core/doctor/doctor-report';
import { storageProblems } from '../core/doctor/storage-problems';
import { databaseFile, keychainService, type Env } from '../core/environment';
import type { FetchFn } from '../core/oauth/http-client';
import { createKeytarSecretStore } from '../adapters/keychain/keytar-secret-store';
import { watchWakeSignals } from '../adapters/os/wake-signals';
import { openDatabase, type Database } from '../adapters/sqlite/database';
import { createAppHandlers, type OpenSignInPage } from './app-handlers';
import type { AuthService, CreateAuthService, LockReason, WakeReason } from '../core/auth/auth-service-port';
import { createIpcDispatcher, type IpcDispatcher } from './ipc-handlers';
import { startNoteSync } from '../core/sync/note-sync';

export interface AppRuntimeOptions {
  env: Env;
  platform: NodeJS.Platform;
  clock: Clock;
  fetch: FetchFn;
  /** The main process's log: one line per event, never a secret. */
  log: (line: string) => void;
  createAuthService: CreateAuthService;
  openSignInPage: OpenSignInPage;
  /** Origins whose main frame may call (see ipc-sender.ts). */
  allowedOrigins: readonly string[];
  /** Default: `databaseFile(env, platform)`. */
  databaseFile?: string;
}

export interface AppRuntime {
  readonly dispatcher: IpcDispatcher;
  getState(): AppState;
  /** Every new state; returns an unsubscribe function. */
  subscribe(listener: (state: AppState) => void): () => void;
  /** Locks the unlocked account (idle, suspend, screen lock). */
  lock(reason: LockReason): void;
  /** Derives the state again at once (OS resume, screen unlock). */
  wake(reason: WakeReason): void;
  idleLockMinutes(): number | undefined;
  /** Disposes the auth service and closes the database. Idempotent. */
  close(): Promise<void>;
}

export async function startAppRuntime(options: AppRuntimeOptions): Promise<AppRuntime> {
  const file = options.databaseFile ?? databaseFile(options.env, options.platform);
  let db: Database | undefined;
  let auth: AuthService;
  try {
    db = openDatabase(file);
    auth = await options.createAuthService({
      env: options.env,
      platform: options.platform,
      db,
      clock: options.clock,
      fetch: options.fetch,
      log: options.log,
      secrets: createKeytarSecretStore({ service: keychainService(options.env), platform: options.platform }),
      watchWakeSignals,
    });
  } catch (error) {
    const failedAt: StartupFailure['failedAt'] = db ? 'auth-service' : 'database';
    db?.close();
    options.log(`FieldKey could not start: ${describeStartFailure(error)}`);
    const storage = storageProblems({ file, exists: existsSync, openReadOnly: (path) => openDatabase(path, { readonly: true }) });
    if (storage.length > 0) options.log(`Storage diagnosis: ${storage.map((finding) => finding.code).join(', ')}`);
    return unavailableRuntime(startupFailureState(error, { failedAt, storage }), options);
  }

  const openDb = db;
  const {
    notes,
    sync,
    close: closeSync,
  } = startNoteSync({ db: openDb, clock: options.clock, fetch: options.fetch, auth, log: options.log });
  const dispatcher = createIpcDispatcher({
    handlers: createAppHandlers({ auth, notes, sync, openSignInPage: options.openSignInPage }),
    allowedOrigins: options.allowedOrigins,
    onUnexpectedError: (method, error) => options.log(`IPC ${method} failed unexpectedly: ${describe(error)}`),
  });
  let closed: Promise<void> | undefined;
  return {
    dispatcher,
    getState: () => auth.getState(),
    subscribe: (listener) => auth.subscribe(listener),
    lock: (reason) => auth.lock(reason),
    wake: (reason) => auth.wake(reason),
    idleLockMinutes: () => auth.idleLockMinutes(),
    close: () =>
      (closed ??= (async () => {
        try {
          await auth.dispose();
          await closeSync();
        } finally {
          openDb.close();
        }
      })()),
  };
}

/** An error's class name only: unexpected errors may carry details that do not belong in a log. */
function describe(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The error that stopped the start, for the log: a FieldKeyError's code and message, any other
 * error's class name, and beside either SQLite's error code (`SqliteError (SQLITE_CANTOPEN)`) when
 * SQLite threw it or caused it. Never SQLite's message.
 */
function describeStartFailure(error: unknown): string {
  const what = error instanceof FieldKeyError ? `${error.code}: ${error.message}` : describe(error);
  const code = systemCode(error instanceof FieldKeyError ? error.cause : error);
  return code ? `${what} (${code})` : what;
}

/**
 * The error's code from SQLite (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, ...) or the OS (`EROFS`,
 * `EACCES`, ...), if it has one: a fixed word, never a message (which may quote a path or a value).
 */
function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(SQLITE_[A-Z0-9_]+|E[A-Z0-9]{2,15})$/.test(code) ? code : undefined;
}

/** Where the start failed, and what the doctor's storage diagnosis found then. */
export interface StartupFailure {
  /** `database`: opening (or migrating) the database threw; `auth-service`: it opened, building the auth service threw. */
  failedAt: 'database' | 'auth-service';
  /** The problems of `storageProblems` for the database file (its notes left out). */
  storage: readonly Finding[];
}

/**
 * The state shown when the app cannot start. Each storage problem becomes a problem with its code
 * and the doctor's advice. The error itself is shown too, with its code, unless those problems
 * already explain it: when the diagnosis found nothing (a failure it does not cover), or when the
 * database opened and the auth service failed (a keychain that is missing, say, which a full disk
 * beside it would not explain).
 */
export function startupFailureState(error: unknown, failure: StartupFailure = { failedAt: 'database', storage: [] }): AppState {
  const problems: ConfigurationProblem[] = failure.storage.map((finding) => ({
    field: null,
    code: finding.code,
    message: finding.message,
  }));
  if (problems.length === 0 || failure.failedAt === 'auth-service') problems.push(errorProblem(error));
  return {
    status: 'misconfigured',
    notice: null,
    summary: 'FieldKey cannot start on this laptop. Contact IT.',
    problems,
    source: null,
  };
}

function errorProblem(error: unknown): ConfigurationProblem {
  if (error instanceof FieldKeyError) return { field: null, code: error.code, message: error.message };
  return {
    field: null,
    message: 'FieldKey could not open its data or its settings. Restarting the laptop may help; if not, IT can run "fieldkey doctor".',
  };
}

function unavailableRuntime(state: AppState, options: AppRuntimeOptions): AppRuntime {
  const unavailable = async (): Promise<never> => {
    throw new FieldKeyError('app_unavailable', 'FieldKey cannot start on this laptop. Contact IT.');
  };
  const handlers: MainHandlers = {
    getState: async () => state,
    signIn: unavailable,
    cancelSignIn: unavailable,
    setPin: unavailable,
    unlock: unavailable,
    lock: async () => undefined,
    signOut: unavailable,
    switchAccount: unavailable,
    addAccount: unavailable,
    forgotPin: unavailable,
    retry: unavailable,
    listNotes: unavailable,
    getNote: unavailable,
    createNote: unavailable,
    updateNote: unavailable,
    getSyncStatus: unavailable,
    syncNow: unavailable,
  };
  return {
    dispatcher: createIpcDispatcher({ handlers, allowedOrigins: options.allowedOrigins }),
    getState: () => state,
    subscribe: () => () => undefined,
    lock: () => undefined,
    wake: () => undefined,
    idleLockMinutes: () => undefined,
    close: async () => undefined,
  };
}
