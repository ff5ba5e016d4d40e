/**
 * The auth service as the app uses it: the port the composition (`createAuthService` in
 * `auth-service.ts`: policy + offline decision + sealed sessions + OAuth client) implements, and the
 * dependencies the app hands it. Everything around it (IPC, notes, Electron shell, web host) is
 * coded against this interface only.
 *
 * Rules the implementation keeps:
 *  - the state is derived from facts (sealed session present, key in memory, the decision), never
 *    persisted as "unlocked"; it re-decides on a timer and on network changes, refreshes when
 *    online, and calls every `subscribe` listener with each new state;
 *  - `getState()` and the states it pushes never hold a token, a key, a PIN or a PIN hash;
 *  - errors callers can act on are `FieldKeyError`s with stable codes (`wrong_pin`,
 *    `unlock_delayed`, `locked_out`, `pin_mismatch`, `pin_too_short`, `pin_trivial`,
 *    `sign_in_in_progress`, `not_signing_in`, `idp_unreachable`, ...); their messages are shown
 *    to the technician as they are.
 */
import type { WakeSignalOptions } from '../../adapters/os/wake-signals';
import type { SecretStore } from '../secrets/secret-store';
import type { AppState, SignInPurpose } from '../../../shared/app-state';
import type { Clock } from '../clock';
import type { Env } from '../environment';
import type { FetchFn } from '../oauth/http-client';
import type { Database } from '../../adapters/sqlite/database';
import type { ApiConnection } from '../sync/sync-engine';

/** Access to an account's protected workspace right now. */
export type AccountAccess = 'full' | 'read-only' | 'denied' | 'locked';

/** Why the app locks: the Lock button, the policy's idle minutes, OS suspend, OS screen lock. */
export type LockReason = 'user' | 'idle' | 'suspend' | 'lock-screen';

/** Why the offline decision is derived again at once: OS resume or screen unlock, a clock jump, a network change. */
export type WakeReason = 'resume' | 'unlock-screen' | 'clock-jump' | 'network-change';

export interface SignInRequest {
  purpose: SignInPurpose;
  /** The known account to sign in as (`forgot-pin`, `reconnect`, or `sign-in` for a listed account). */
  accountId?: string;
}

/** A started browser sign-in: the URL to open in the system browser. */
export interface SignInStarted {
  /** The complete authorization request (PKCE challenge, state, redirect URI): no secret in it. */
  authorizationUrl: string;
  /**
   * The IdP's authorization endpoint the URL was built on (from discovery or the policy). The
   * Electron shell opens a URL only if it is this endpoint, over http(s).
   */
  authorizationEndpoint: string;
}

export interface AuthService {
  /** The current state. */
  getState(): AppState;
  /** Calls `listener` with every new state (not the current one); returns an unsubscribe function. */
  subscribe(listener: (state: AppState) => void): () => void;

  /**
   * Starts a sign-in in the system browser (state `signing-in`). Resolves once the authorization URL
   * is ready and the redirect listener is up; the app then opens the URL. Completion (the browser's
   * redirect, code exchange, ID token checks) moves the state to `pin-setup`; failure pushes a state
   * with a `notice`. `sign_in_in_progress` if one is already running.
   */
  beginSignIn(request: SignInRequest): Promise<SignInStarted>;
  /** Abandons the running sign-in (closes the redirect listener) and returns to the previous state. */
  cancelSignIn(): Promise<void>;
  /** In `pin-setup`: seals the new session with the PIN. `pin_mismatch` when `confirm` differs. */
  setPin(pin: string, confirm: string): Promise<void>;
  /** Unlocks the account's sealed session with its PIN, then decides access (and refreshes if online). */
  unlock(accountId: string, pin: string): Promise<void>;
  /** Drops the unlocked account's key from memory. Never fails; a no-op when nothing is unlocked. */
  lock(reason: LockReason): void;
  /** Signs the unlocked account out: destroys its session, revokes (or queues revocation). Notes stay. */
  signOut(): Promise<void>;
  /** Locks the current account, if any, and selects `accountId` on the lock screen. */
  switchAccount(accountId: string): Promise<void>;
  /** Tries the IdP again now (refresh / check-in) and re-decides. */
  retry(): Promise<void>;
  /**
   * Derives the state again at once and, for the unlocked account, probes the IdP when it was
   * unreachable or refreshes when one is due. Never fails.
   */
  wake(reason: WakeReason): void;

  /** The account that is unlocked now, if any. */
  activeAccountId(): string | undefined;
  /**
   * The account's access decided NOW (not a cached state): field notes ask before every read and
   * write, so a token that expired a second ago is read-only at once.
   */
  accessFor(accountId: string): Promise<AccountAccess>;
  /** The policy's idle-lock minutes; undefined while misconfigured. */
  idleLockMinutes(): number | undefined;

  /**
   * The policy's Field API (undefined when it names none) and, while `accountId` is unlocked, its
   * credentials for the API client: the session's tokens, its single-flight refresh and its access
   * decided now. Never a copy of a token outside the main process.
   */
  apiCredentials(accountId: string): ApiConnection | undefined;
  /** Calls `listener` with the account id after each successful online check-in (refresh); returns an unsubscribe function. */
  onCheckIn(listener: (accountId: string) => void): () => void;

  /** Stops timers and listeners, locks everything. */
  dispose(): Promise<void>;
}

/** What the app gives `createAuthService`. */
export interface AuthServiceDeps {
  /** `process.env` in the app: FIELDKEY_POLICY, FIELDKEY_DATA_DIR, FIELDKEY_KEYCHAIN_SERVICE. */
  env: Env;
  platform: NodeJS.Platform;
  /** The app's database (already migrated); the app closes it after `dispose()`. */
  db: Database;
  clock: Clock;
  /** The only way the service reaches the network. */
  fetch: FetchFn;
  /** One line per notable event for the main process's log; never a secret. */
  log: (line: string) => void;
  /** The OS keychain (adapters/keychain), or a test's store. */
  secrets: SecretStore;
  /** Wall-clock jumps and network changes (adapters/os/wake-signals.ts); none when absent. */
  watchWakeSignals?: (options: WakeSignalOptions) => () => void;
}

export type CreateAuthService = (deps: AuthServiceDeps) => Promise<AuthService>;
