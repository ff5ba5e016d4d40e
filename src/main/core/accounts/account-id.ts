/**
 * The account id: SHA-256 over a versioned, unambiguous encoding of issuer and `sub`, in base64url
 * (43 characters). It names the account's keychain entries and database rows without revealing who
 * the user is or which IdP they use.
 */
import { createHash } from 'node:crypto';

export function accountIdFor(issuer: string, subject: string): string {
  // JSON encoding keeps the pair unambiguous even if either part contains a newline.
  return createHash('sha256')
    .update(`fieldkey-account-v1\n${JSON.stringify([issuer, subject])}`, 'utf8')
    .digest('base64url');
}

const ACCOUNT_ID = /^[A-Za-z0-9_-]{43}$/;

/** True for strings shaped like an account id (IPC handlers validate before calling the vault). */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}
