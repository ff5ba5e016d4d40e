/**
 * The keychain, one call at a time. keytar's `findCredentials` (our `list()`, used by the
 * revocation queue) crashes the whole process on Linux when an entry of the service is deleted
 * while it loads the secrets (libsecret hands back no value and keytar's `strdup(NULL)` faults);
 * keytar runs its calls on parallel worker threads, so a flush of queued revocations beside a
 * session wipe or an attempt-counter reset could do exactly that. Keychain calls take milliseconds:
 * running this process's calls in order costs nothing noticeable.
 */
import type { SecretStore } from '../../secrets/secret-store';

export function serialSecretStore(inner: SecretStore): SecretStore {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = tail.then(operation, operation);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    get: (entry) => run(() => inner.get(entry)),
    set: (entry, value) => run(() => inner.set(entry, value)),
    delete: (entry) => run(() => inner.delete(entry)),
    list: () => run(() => inner.list()),
  };
}
