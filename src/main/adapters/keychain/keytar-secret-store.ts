/**
 * The `SecretStore` backed by the OS keychain through keytar (macOS Keychain, Windows Credential
 * Manager, libsecret / Secret Service on Linux). The only module that imports keytar.
 *
 * keytar is loaded on first use, so a missing native library (e.g. libsecret on Linux) surfaces as
 * `keychain_unavailable` instead of crashing whoever imports this module. Every failure of the
 * keychain (no Secret Service or D-Bus, a locked keychain, access denied) becomes
 * `FieldKeyError('keychain_unavailable')` with a message that says what to install or unlock.
 * There is no fallback: without a keychain FieldKey stores no secret at all.
 */
import { FieldKeyError } from '../../../shared/errors';
import { keychainService } from '../../core/environment';
import type { SecretStore } from '../../core/secrets/secret-store';

type Keytar = typeof import('keytar');

const LIST_ATTEMPTS = 3;

/**
 * Every keytar call of this process, one at a time. keytar runs calls on parallel worker threads,
 * and on Linux its `findCredentials` (our `list()`) crashes the whole process when an entry of the
 * service is deleted while it loads the secrets (libsecret hands back no value and keytar's
 * `strdup(NULL)` faults). Keychain calls take milliseconds, so running them in order costs nothing
 * noticeable; the queue is process-wide because the crash is, whichever store made the calls.
 */
let keychainQueue: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(operation: () => Promise<T>): Promise<T> {
  const result = keychainQueue.then(operation, operation);
  keychainQueue = result.catch(() => undefined);
  return result;
}

export interface KeytarSecretStoreOptions {
  /** Keychain service name; defaults to `keychainService()` (FIELDKEY_KEYCHAIN_SERVICE or `FieldKey`). */
  service?: string;
  /** Only changes the advice in error messages (tests). */
  platform?: NodeJS.Platform;
}

export function createKeytarSecretStore(options: KeytarSecretStoreOptions = {}): SecretStore {
  const service = options.service ?? keychainService();
  const platform = options.platform ?? process.platform;
  let loaded: Promise<Keytar> | undefined;

  const keytar = (): Promise<Keytar> => {
    loaded ??= import('keytar').then((m) => ((m as { default?: Keytar }).default ?? m) as Keytar);
    return loaded;
  };

  const call = <T>(operation: (k: Keytar) => Promise<T>): Promise<T> => oneAtATime(() => callNow(operation));

  async function callNow<T>(operation: (k: Keytar) => Promise<T>): Promise<T> {
    let k: Keytar;
    try {
      k = await keytar();
    } catch (cause) {
      loaded = undefined;
      throw keychainUnavailable(platform, cause, true);
    }
    try {
      return await operation(k);
    } catch (cause) {
      throw keychainUnavailable(platform, cause, false);
    }
  }

  return {
    get: (entry) => call((k) => k.getPassword(service, entry)),
    set: (entry, value) => call((k) => k.setPassword(service, entry, value)),
    delete: (entry) => call((k) => k.deletePassword(service, entry)),
    // Listing reads every entry of the service; an entry deleted by a concurrent call in between
    // makes it fail, so it is retried before the keychain is declared unavailable.
    list: () =>
      call(async (k) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return (await k.findCredentials(service)).map((c) => c.account);
          } catch (error) {
            if (attempt >= LIST_ATTEMPTS) throw error;
          }
        }
      }),
  };
}

/** The advice for each platform; `detail` is the keychain's own error text (never a secret). */
export function keychainUnavailable(platform: NodeJS.Platform, cause: unknown, loadFailed: boolean): FieldKeyError {
  const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
  let advice: string;
  switch (platform) {
    case 'darwin':
      advice = 'Unlock the login keychain (Keychain Access) and allow FieldKey to use it, then try again.';
      break;
    case 'win32':
      advice = 'Make sure Windows Credential Manager is available for this user account, then try again.';
      break;
    default:
      advice = loadFailed
        ? 'Install libsecret (Debian/Ubuntu: libsecret-1-0) and a Secret Service such as gnome-keyring, then try again.'
        : 'Install a Secret Service such as gnome-keyring (with libsecret), make sure it runs in your desktop session ' +
          '(D-Bus) and that its keyring is unlocked, then try again.';
  }
  return new FieldKeyError(
    'keychain_unavailable',
    `No OS keychain is reachable${detail}. FieldKey keeps its keys only in the OS keychain and never stores them in plaintext. ${advice}`,
    { cause },
  );
}
