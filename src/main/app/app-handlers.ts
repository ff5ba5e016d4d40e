/**
 * The main process's implementation of every IPC call (`MainHandlers`), composed from the auth
 * service, field notes and a way to open the sign-in page in the system browser. Arguments arrive
 * already validated (ipc-arguments.ts); these functions decide which account a call concerns (always
 * the unlocked one for notes: the renderer never names the account whose notes it reads).
 */
import { FieldKeyError } from '../../shared/errors';
import type { MainHandlers } from '../../shared/ipc-contract';
import type { AuthService, SignInRequest, SignInStarted } from '../core/auth/auth-service-port';
import { notUnlocked, type FieldNotes } from '../core/notes/field-notes';
import type { SyncEngine } from '../core/sync/sync-engine';

/**
 * Opens the authorization URL in the system browser: Electron's `shell.openExternal` after checking
 * the URL is on the IdP's authorization endpoint, or the web host's new browser tab.
 */
export type OpenSignInPage = (started: SignInStarted) => Promise<void>;

export interface AppHandlersDeps {
  auth: AuthService;
  notes: FieldNotes;
  sync: Pick<SyncEngine, 'status' | 'sync' | 'configured'>;
  openSignInPage: OpenSignInPage;
}

export function createAppHandlers({ auth, notes, sync, openSignInPage }: AppHandlersDeps): MainHandlers {
  const startSignIn = async (request: SignInRequest): Promise<void> => {
    const started = await auth.beginSignIn(request);
    try {
      await openSignInPage(started);
    } catch (error) {
      await auth.cancelSignIn();
      throw error instanceof FieldKeyError
        ? error
        : new FieldKeyError('browser_unavailable', 'FieldKey could not open the sign-in page in the browser.');
    }
  };
  const activeAccount = (): string => {
    const id = auth.activeAccountId();
    if (id === undefined) throw notUnlocked();
    return id;
  };

  return {
    getState: async () => auth.getState(),
    signIn: (accountId) => startSignIn(accountId === undefined ? { purpose: 'sign-in' } : { purpose: 'sign-in', accountId }),
    cancelSignIn: () => auth.cancelSignIn(),
    setPin: (pin, confirm) => auth.setPin(pin, confirm),
    unlock: (accountId, pin) => auth.unlock(accountId, pin),
    lock: async () => auth.lock('user'),
    signOut: () => auth.signOut(),
    switchAccount: (accountId) => auth.switchAccount(accountId),
    addAccount: () => startSignIn({ purpose: 'add-account' }),
    forgotPin: (accountId) => startSignIn({ purpose: 'forgot-pin', accountId }),
    retry: () => auth.retry(),
    listNotes: async () => notes.list(activeAccount()),
    getNote: async (id) => notes.get(activeAccount(), id),
    createNote: async (title, text) => notes.create(activeAccount(), title, text),
    updateNote: async (id, title, text) => notes.update(activeAccount(), id, title, text),
    getSyncStatus: async () => sync.status(activeAccount()),
    syncNow: async () => {
      const id = activeAccount();
      if (sync.configured(id)) await sync.sync(id);
      return sync.status(id);
    },
  };
}
