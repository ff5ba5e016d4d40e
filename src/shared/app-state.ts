/**
 * What the renderer is told: the app's state, derived in the main
 * process from facts (a sealed session exists, a key is in memory, the offline decision) and pushed
 * on every change. Nothing here is ever a token, a refresh token, a key, a PIN or a PIN hash: the
 * renderer receives state, never secrets. Instants are ISO 8601 strings (structured-clone safe).
 */

/** How much the unlocked account may do: `full` (token within `exp`) or `read-only` (grace period). */
export type Access = 'full' | 'read-only';

/** An account as the screens show it: the opaque id (a digest of issuer and `sub`), name and email. */
export interface AccountView {
  id: string;
  displayName: string;
  email: string | null;
}

/** An account on the lock screen. */
export interface LockedAccountView extends AccountView {
  /** False when the sealed session was wiped (lockout, revocation, forgotten PIN): sign in online. */
  hasSession: boolean;
  /** Wrong PINs still allowed before the session is wiped. */
  attemptsLeft: number;
  /** Set while the next PIN attempt must wait (after repeated failures). */
  retryAt: string | null;
}

/** A one-off message for the current screen (e.g. "your session was revoked; your notes are kept"). */
export interface Notice {
  code: string;
  message: string;
}

/** The PIN rules the set-PIN screen shows (from the policy and the PIN checker). */
export interface PinRulesView {
  minLength: number;
  maxLength: number;
  /** The rules in words. */
  text: string;
}

/**
 * Why a browser sign-in runs: a first or new account, another account beside the existing ones, a
 * forgotten PIN (replaces the sealed session), or a session that needs an online sign-in again.
 */
export type SignInPurpose = 'sign-in' | 'add-account' | 'forgot-pin' | 'reconnect';

interface StateBase {
  notice: Notice | null;
}

/** No account has a session on this laptop. */
export interface SignedOutState extends StateBase {
  status: 'signed-out';
}

/** The sign-in page is open in the system browser; the app waits for its redirect. */
export interface SigningInState extends StateBase {
  status: 'signing-in';
  purpose: SignInPurpose;
  /** The known account this sign-in is for (forgotten PIN, reconnect); null for a new account. */
  account: AccountView | null;
}

/** Signed in online; the technician chooses the PIN that seals the session. */
export interface PinSetupState extends StateBase {
  status: 'pin-setup';
  account: AccountView;
  rules: PinRulesView;
}

/** One or more accounts have sealed sessions; none is unlocked. */
export interface LockedState extends StateBase {
  status: 'locked';
  accounts: LockedAccountView[];
  /** The account the picker starts on (the last one used, or the one switched to). */
  selectedAccountId: string | null;
  /** False when the policy's account cap is reached. */
  canAddAccount: boolean;
}

/** An account is unlocked: its derived key is in main-process memory only. */
export interface UnlockedState extends StateBase {
  status: 'unlocked';
  account: AccountView;
  access: Access;
  /** The decision's reason code (`valid`, `grace_period`, `expired`) and its explanation in words. */
  accessReason: string;
  accessMessage: string;
  /** When this state was decided (to the minute), by the main process's clock: the runway is counted from here. */
  decidedAt: string;
  /** The cached token's `exp`; past it, full access goes on through the grace period. */
  tokenExpiresAt: string | null;
  /** Full access ends here: `exp` + the grace period, or the check-in due time if that is earlier. */
  fullAccessUntil: string | null;
  /** Read-only access ends here when something bounds it (`readOnlyHours`, the check-in); null: only a check-in ends it. */
  readOnlyUntil: string | null;
  /** When offline access ends altogether (then a connection is required); null when only a check-in ends it. */
  offlineUntil: string | null;
  /** The last successful online check-in (refresh), and when the next one is due. */
  lastCheckIn: string | null;
  checkInDueAt: string | null;
  /** The account's roles from the cached token, and the token's `iat` (roles are as old as it). */
  roles: string[];
  rolesAsOf: string | null;
  /** Whether the IdP was reachable at the last attempt. */
  online: boolean;
  canAddAccount: boolean;
}

/** Offline access is over (or was refused): an online check-in or sign-in is needed. */
export interface ConnectionRequiredState extends StateBase {
  status: 'connection-required';
  /** The account concerned, when there is one. */
  account: AccountView | null;
  /** A stable code: `expired`, `check_in_overdue`, `clock_rollback`, `revoked`, `no_usable_keys`, ... */
  reason: string;
  /** What happened and what to do, in words. */
  message: string;
}

/** One thing IT must fix in the policy (or the installation). */
export interface ConfigurationProblem {
  /** The policy field concerned (JSON pointer or dotted path), when there is one. */
  field: string | null;
  /**
   * A stable code, when the problem has one: `fieldkey doctor`'s for the storage problems that keep
   * the app from starting (`data_dir_read_only`, `disk_full`, `database_corrupt`, ...).
   */
  code?: string;
  /** What is wrong and what to do, in words. */
  message: string;
}

/** The policy is invalid (fail-closed) or the installation cannot work; only IT can fix it. */
export interface MisconfiguredState extends StateBase {
  status: 'misconfigured';
  /** One sentence for the technician ("FieldKey is not set up correctly. Contact IT."). */
  summary: string;
  /** What IT must fix. */
  problems: ConfigurationProblem[];
  /** Where the policy came from (a file path), when known. */
  source: string | null;
}

export type AppState =
  SignedOutState | SigningInState | PinSetupState | LockedState | UnlockedState | ConnectionRequiredState | MisconfiguredState;

export type AppStatus = AppState['status'];

/**
 * Where a note stands with the Field API: `synced` (the server holds this text), `pending` (a change
 * waits in the outbox, to be sent when online), `rejected` (the server refused the change; the note
 * stays on this laptop as it is, and `rejection` says why).
 */
export type NoteSyncState = 'synced' | 'pending' | 'rejected';

/** A field note in a list: everything but the text. */
export interface FieldNoteSummary {
  id: number;
  title: string;
  createdAt: string;
  updatedAt: string;
  syncState: NoteSyncState;
  /** Why the server refused the last change, for `rejected` notes; null otherwise. */
  rejection: string | null;
}

export interface FieldNote extends FieldNoteSummary {
  text: string;
}

/** Caps every layer agrees on (renderer inputs, IPC validation, the notes table). */
export const NOTE_TITLE_MAX_CHARS = 200;
export const NOTE_TEXT_MAX_CHARS = 20_000;

/** The unlocked account's sync with the Field API, as the home screen shows it. */
export interface SyncStatusView {
  /** False when the policy names no Field API: notes are kept on this laptop only. */
  configured: boolean;
  /** The last sync that pushed and pulled without an error. */
  lastSyncAt: string | null;
  /** The last sync's error (a stable code and words for the technician), null after a clean sync. */
  lastError: { code: string; message: string } | null;
  /** Changes waiting in the outbox. */
  pending: number;
}
