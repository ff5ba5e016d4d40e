/**
 * The OS keychain as FieldKey sees it: a few small string entries per account, under one service
 * name (`keychainService()`). The only implementation that reaches a real keychain is
 * `keytar-secret-store.ts`; everything else codes against this interface.
 *
 * Entries (the account part is the opaque account id, a SHA-256 digest, so entry names leak
 * nothing about the user):
 * - `<accountId>/device-key`: a random 256-bit device key, base64 (44 characters);
 * - `<accountId>/attempts`: the mirror of the failed-unlock counter (a few dozen characters).
 * Both stay far below Windows Credential Manager's 2.5 KB limit.
 *
 * Every method rejects with `FieldKeyError('keychain_unavailable')` when no keychain is reachable;
 * an implementation must never fall back to storing anything in plaintext.
 */
export interface SecretStore {
  /** The stored value, or null when there is no such entry. */
  get(entry: string): Promise<string | null>;
  set(entry: string, value: string): Promise<void>;
  /** Deletes the entry; resolves false when there was none. */
  delete(entry: string): Promise<boolean>;
  /** The names of every entry under this store's service. */
  list(): Promise<string[]>;
}

export function deviceKeyEntry(accountId: string): string {
  return `${accountId}/device-key`;
}

export function attemptsEntry(accountId: string): string {
  return `${accountId}/attempts`;
}
