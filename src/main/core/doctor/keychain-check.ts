/**
 * Doctor: is the OS keychain reachable and open? A read of an entry that does not exist, then a
 * write and delete of that same entry, through the same SecretStore the app uses; no account's
 * entry is read or written.
 *
 * The write is what tells a locked keyring apart: a locked keyring whose unlock prompt cannot be
 * shown (or was dismissed) answers every read with "no such entry", so a read alone would call it
 * healthy while no account can be unlocked. A failed write after a read that answered is
 * `keychain_locked`.
 */
import { isFieldKeyError, toErrorData } from '../../../shared/errors';
import { keychainAccountIds, type SecretStore } from '../secrets/secret-store';
import { checked, problem, type Finding, type KeychainSection } from './doctor-report';

/** Not an account entry (those start with a 43-character account id), so it never exists. */
export const KEYCHAIN_PROBE_ENTRY = 'fieldkey-doctor/probe';

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

const LOCKED_MESSAGE =
  'The OS keychain answers but is locked: it reads as empty and refuses writes, so no account can be unlocked with its PIN. Unlock the keychain (on Linux, the "login" keyring, e.g. with Seahorse or by signing in to the desktop again) and try again.';

export async function checkKeychain(
  secrets: SecretStore,
  service: string,
  timeoutMs = DEFAULT_KEYCHAIN_TIMEOUT_MS,
): Promise<KeychainSection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([probe(secrets), timeout]);
    if (outcome === 'timeout') {
      const message = `The OS keychain did not answer within ${timeoutMs / 1000} s; it may be locked and waiting for a password prompt. Unlock it and try again.`;
      return {
        ...checked([problem('keychain_unavailable', message)]),
        service,
        reachable: false,
        errorCode: 'keychain_unavailable',
        message,
      };
    }
    if (outcome === 'locked') {
      return {
        ...checked([problem('keychain_locked', LOCKED_MESSAGE)]),
        service,
        reachable: false,
        errorCode: 'keychain_locked',
        message: LOCKED_MESSAGE,
      };
    }
    return { ...checked([]), service, reachable: true, errorCode: null, message: null };
  } catch (error) {
    const data = toErrorData(error);
    const code = isFieldKeyError(error) ? error.code : data.code;
    return { ...checked([problem(code, data.message)]), service, reachable: false, errorCode: code, message: data.message };
  } finally {
    clearTimeout(timer);
  }
}

/** `open` when a read answers and a write of the probe entry succeeds; `locked` when the read answers but the write fails. */
async function probe(secrets: SecretStore): Promise<'open' | 'locked'> {
  await secrets.get(KEYCHAIN_PROBE_ENTRY);
  try {
    await secrets.set(KEYCHAIN_PROBE_ENTRY, 'probe');
  } catch {
    return 'locked';
  }
  await secrets.delete(KEYCHAIN_PROBE_ENTRY);
  return 'open';
}

/**
 * A database that is missing, empty (zero bytes) or holds no accounts, while the keychain still
 * holds entries of accounts under this service: the accounts' data was lost (deleted, emptied or
 * replaced), not never there. Undefined when the keychain holds no account's entries.
 */
export async function checkOrphanedEntries(secrets: SecretStore, service: string, file: string): Promise<Finding | undefined> {
  const count = (await keychainAccountIds(secrets)).size;
  if (count === 0) return undefined;
  return problem(
    'orphaned_keychain_entries',
    `The database ${file} holds no accounts, but the OS keychain (service ${JSON.stringify(service)}) holds the keys of ${count} account(s): this laptop had ${count} account(s); their data is gone (the database was lost, emptied or replaced outside FieldKey). Their sealed sessions, field notes not yet synced and audit log cannot be recovered from the keychain: restore the database from a backup if there is one, otherwise each technician signs in again online.`,
  );
}
