/**
 * The one IPC contract: channel names,
 * arguments and results, shared by the main process (handlers), the preload (which builds
 * `window.fieldkey` from it) and the renderer (which calls it). Results cross as data:
 * `{ ok: true, value } | { ok: false, error: { code, message } }`. No type here can hold a token, a
 * key or a PIN hash; a PIN only travels renderer -> main, as an argument of `setPin` and `unlock`.
 */
import type { AppState, FieldNote, FieldNoteSummary, SyncStatusView } from './app-state';
import type { ErrorData } from './errors';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

export type Unsubscribe = () => void;

/** `window.fieldkey`: what the renderer may ask of the main process. */
export interface FieldKeyApi {
  /** The current state. */
  getState(): Promise<Result<AppState>>;
  /** Calls `listener` with every new state; returns a function that stops it. */
  onStateChanged(listener: (state: AppState) => void): Unsubscribe;

  /**
   * Opens the IdP's sign-in page in the system browser. With an account id: sign in again as that
   * known account (its session was wiped or needs an online sign-in).
   */
  signIn(accountId?: string): Promise<Result<void>>;
  /** Stops waiting for the browser and goes back to the previous screen. */
  cancelSignIn(): Promise<Result<void>>;
  /** Seals the freshly signed-in session with a PIN (`confirm` must equal `pin`). */
  setPin(pin: string, confirm: string): Promise<Result<void>>;
  /** Unlocks an account's sealed session; `wrong_pin` errors say how many attempts are left. */
  unlock(accountId: string, pin: string): Promise<Result<void>>;
  /** Locks: the derived key is dropped from memory. */
  lock(): Promise<Result<void>>;
  /** Signs the current account out (its session is destroyed, revocation sent or queued; notes stay). */
  signOut(): Promise<Result<void>>;
  /** Locks the current account, if any, and shows the lock screen on `accountId`. */
  switchAccount(accountId: string): Promise<Result<void>>;
  /** Signs another account in on this laptop. */
  addAccount(): Promise<Result<void>>;
  /** Online sign-in for `accountId` that replaces its sealed session and PIN. */
  forgotPin(accountId: string): Promise<Result<void>>;
  /** Tries the connection again (connection required, offline). */
  retry(): Promise<Result<void>>;

  /** The unlocked account's field notes (full and read-only access). */
  listNotes(): Promise<Result<FieldNoteSummary[]>>;
  getNote(id: number): Promise<Result<FieldNote>>;
  /** Writes: full access only; refused by the main process with `read_only` otherwise. */
  createNote(title: string, text: string): Promise<Result<FieldNote>>;
  updateNote(id: number, title: string, text: string): Promise<Result<FieldNote>>;

  /** The unlocked account's sync with the Field API (configured or not, last sync, changes waiting). */
  getSyncStatus(): Promise<Result<SyncStatusView>>;
  /** Pushes the outbox and pulls now; resolves with the status after it (network trouble is in `lastError`). */
  syncNow(): Promise<Result<SyncStatusView>>;
}

/** The request/response calls, in a fixed order (the preload and the web bridge are built from it). */
export const INVOKE_METHODS = [
  'getState',
  'signIn',
  'cancelSignIn',
  'setPin',
  'unlock',
  'lock',
  'signOut',
  'switchAccount',
  'addAccount',
  'forgotPin',
  'retry',
  'listNotes',
  'getNote',
  'createNote',
  'updateNote',
  'getSyncStatus',
  'syncNow',
] as const satisfies readonly (keyof FieldKeyApi)[];

export type InvokeMethod = (typeof INVOKE_METHODS)[number];

// Every method but the subscription is an invoke method (a compile error here means a method was
// added to FieldKeyApi without a channel).
type MissingChannels = Exclude<keyof FieldKeyApi, InvokeMethod | 'onStateChanged'>;
const _everyMethodHasAChannel: MissingChannels extends never ? true : MissingChannels = true;

export type InvokeChannel = `fieldkey:${InvokeMethod}`;

export function channelFor(method: InvokeMethod): InvokeChannel {
  return `fieldkey:${method}`;
}

/** The method a channel name stands for, or undefined for anything not in the contract. */
export function methodForChannel(channel: unknown): InvokeMethod | undefined {
  if (typeof channel !== 'string' || !channel.startsWith('fieldkey:')) return undefined;
  const name = channel.slice('fieldkey:'.length);
  return (INVOKE_METHODS as readonly string[]).includes(name) ? (name as InvokeMethod) : undefined;
}

/** Main -> renderer push: the new `AppState`. */
export const STATE_CHANGED_CHANNEL = 'fieldkey:state-changed';

type ResultValue<R> = R extends Promise<Result<infer T>> ? T : never;

/**
 * What the main process implements for each call: the same arguments, the plain value as result.
 * Handlers throw `FieldKeyError`; the dispatcher turns every outcome into a `Result`.
 */
export type MainHandlers = {
  [M in InvokeMethod]: (...args: Parameters<FieldKeyApi[M]>) => Promise<ResultValue<ReturnType<FieldKeyApi[M]>>>;
};

/** The arguments of one call. */
export type InvokeArgs<M extends InvokeMethod> = Parameters<FieldKeyApi[M]>;
