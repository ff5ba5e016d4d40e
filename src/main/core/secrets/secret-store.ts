import { isAccountId } from '../accounts/account-id';

/**
 * The OS keychain as FieldKey sees it: a few small string entries per account, under one service
 * name (`keychainService()`). The only implementation that reaches a real keychain is
 * `keytar-secret-store.ts`; everything else codes against this interface.
 *
 * Entries (the account part is the opaque account id, a SHA-256 digest, so entry names leak
 * nothing about the user):
 * - `<accountId>/device-key`: a random 256-bit device key, base64 (44 characters);
 * - `<accountId>/device-key-pending`: the next device key while a seal under it (new session, PIN
 *   change) has not yet committed or replaced the current one; normally absent;
 * - `<accountId>/attempts`: the mirror of the failed-unlock counter (a few dozen characters);
 * - `fieldkey/record-mac-key`: one per installation, the key that authenticates the clock-trust
 *   records in the database (storage/record-mac.ts), base64 (44 characters);
 * - `fieldkey/audit-head`: the audit log's newest seq and hash as last written (audit/audit-keying.ts);
 * - `fieldkey/audit-retention`: the seq and hash retention last moved (or was about to move) the
 *   audit log's anchor to (audit/audit-keying.ts).
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

/** Holds a new device key until the seal under it commits and it replaces the one in `deviceKeyEntry`. */
export function pendingDeviceKeyEntry(accountId: string): string {
  return `${accountId}/device-key-pending`;
}

export const RECORD_MAC_KEY_ENTRY = 'fieldkey/record-mac-key';
export const AUDIT_HEAD_ENTRY = 'fieldkey/audit-head';
export const AUDIT_RETENTION_ENTRY = 'fieldkey/audit-retention';

export function attemptsEntry(accountId: string): string {
  return `${accountId}/attempts`;
}

/**
 * The accounts whose entries (device key, pending key, attempt mirror) are in this keychain service,
 * by the account id that starts each entry's name; the installation's own entries are not counted.
 */
export async function keychainAccountIds(secrets: SecretStore): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const entry of await secrets.list()) {
    const [head, ...rest] = entry.split('/');
    if (rest.length > 0 && isAccountId(head)) ids.add(head);
  }
  return ids;
}
