/**
 * Doctor: can each sealed session still be opened with its PIN? Everything unlock checks before it
 * tries the PIN (session-vault.ts, step 3) needs only the device key, so doctor checks it too:
 *  - the row was sealed for the account it is stored under;
 *  - the device key is in the keychain (or the pending one the row names, which the app promotes
 *    at the next unlock) and is the key the row was sealed with (the row's device-key id);
 *  - the row's MAC verifies under that key: any modified byte of the row is caught here.
 * A row sealed under another stored account's device key is one of two rows swapped between
 * accounts, which is `session_tampered`; a row whose key is gone is `device_key_missing`. The
 * device keys are read and zeroed here; nothing is written, and the PIN is never needed.
 */
import { decodeDeviceKey, deviceKeyId, rowMacValid, type SealedEnvelope } from '../secrets/session-crypto';
import { deviceKeyEntry, pendingDeviceKeyEntry, type SecretStore } from '../secrets/secret-store';
import { problem, type Finding } from './doctor-report';

const SIGN_IN_AGAIN = 'Its PIN cannot open it; an online sign-in replaces it.';

/** Per account id: a problem finding when its sealed session cannot be opened; absent when it can. */
export async function checkSessionKeys(
  secrets: SecretStore,
  envelopes: ReadonlyMap<string, SealedEnvelope>,
): Promise<Map<string, Finding>> {
  const keys = new Map<string, Buffer[]>();
  try {
    for (const accountId of envelopes.keys()) keys.set(accountId, await storedKeys(secrets, accountId));
    const verdicts = new Map<string, Finding>();
    for (const [accountId, envelope] of envelopes) {
      const finding = verdict(accountId, envelope, keys);
      if (finding) verdicts.set(accountId, finding);
    }
    return verdicts;
  } finally {
    for (const list of keys.values()) for (const key of list) key.fill(0);
  }
}

/** The account's current and pending device keys that decode as 256-bit keys. */
async function storedKeys(secrets: SecretStore, accountId: string): Promise<Buffer[]> {
  const texts = await Promise.all([secrets.get(deviceKeyEntry(accountId)), secrets.get(pendingDeviceKeyEntry(accountId))]);
  return texts.flatMap((text) => {
    const key = text === null ? undefined : decodeDeviceKey(text);
    return key ? [key] : [];
  });
}

function verdict(accountId: string, envelope: SealedEnvelope, keys: ReadonlyMap<string, Buffer[]>): Finding | undefined {
  if (envelope.sealedFor !== accountId) {
    return problem(
      'session_tampered',
      `The stored session of this account was sealed for another account (rows moved or swapped in the database). ${SIGN_IN_AGAIN}`,
    );
  }
  const own = (keys.get(accountId) ?? []).find((key) => deviceKeyId(key).equals(envelope.deviceKeyId));
  if (own) {
    if (rowMacValid(envelope, own, accountId)) return undefined;
    return problem(
      'session_tampered',
      `The stored session of this account was modified outside FieldKey (its row MAC does not verify under the device key). ${SIGN_IN_AGAIN}`,
    );
  }
  for (const [other, list] of keys) {
    if (other !== accountId && list.some((key) => deviceKeyId(key).equals(envelope.deviceKeyId))) {
      return problem(
        'session_tampered',
        `The stored session of this account was sealed under another account's device key (rows swapped in the database). ${SIGN_IN_AGAIN}`,
      );
    }
  }
  const why =
    (keys.get(accountId) ?? []).length === 0
      ? "This account's device key is missing from the OS keychain"
      : 'The OS keychain holds a different device key for this account than the one its session was sealed with (the database may have been restored from an older copy, or the keychain replaced)';
  return problem('device_key_missing', `${why}, so its stored session cannot be opened. ${SIGN_IN_AGAIN}`);
}
