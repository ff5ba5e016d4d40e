/**
 * Doctor: is the OS keychain reachable? A harmless read of an entry that does not exist, through the
 * same SecretStore the app uses; no entry is written, and no account's entry is read.
 */
import { isFieldKeyError, toErrorData } from '../../../shared/errors';
import type { SecretStore } from '../secrets/secret-store';
import { checked, problem, type KeychainSection } from './doctor-report';

/** Not an account entry (those start with a 43-character account id), so it never exists. */
export const KEYCHAIN_PROBE_ENTRY = 'fieldkey-doctor/probe';

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

export async function checkKeychain(secrets: SecretStore, service: string, timeoutMs = DEFAULT_KEYCHAIN_TIMEOUT_MS): Promise<KeychainSection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([secrets.get(KEYCHAIN_PROBE_ENTRY).then(() => 'answered' as const), timeout]);
    if (outcome === 'timeout') {
      const message = `The OS keychain did not answer within ${timeoutMs / 1000} s; it may be locked and waiting for a password prompt. Unlock it and try again.`;
      return { ...checked([problem('keychain_unavailable', message)]), service, reachable: false, errorCode: 'keychain_unavailable', message };
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
