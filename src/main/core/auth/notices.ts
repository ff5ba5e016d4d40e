/**
 * The one-off messages the auth service shows on the next screen. Words for a technician; never a
 * token, a PIN or a key (error messages in FieldKey never hold one either).
 */
import type { AccountView, Notice } from '../../../shared/app-state';
import { isFieldKeyError } from '../../../shared/errors';
import type { SignOutOutcome } from '../oauth/sign-out';

export function revokedNotice(account: AccountView): Notice {
  return {
    code: 'session_revoked',
    message: `The sign-in of ${account.displayName} was ended by your organization (signed out, revoked or used elsewhere), so this laptop forgot it. Sign in again online; your field notes are kept.`,
  };
}

export function signedOutNotice(account: AccountView, outcome: SignOutOutcome): Notice {
  const later = outcome === 'queued' ? ' The sign-in service will be told as soon as this laptop is online.' : '';
  return { code: 'signed_out', message: `${account.displayName} is signed out. Field notes stay on this laptop.${later}` };
}

export function wrongAccountNotice(expected: AccountView, signedInAs: string): Notice {
  return {
    code: 'wrong_account',
    message: `You signed in as ${signedInAs}, but this sign-in was for ${expected.displayName}. Sign in again with that account.`,
  };
}

export function tooManyAccountsNotice(maxAccounts: number): Notice {
  return {
    code: 'too_many_accounts',
    message: `This laptop already has the ${maxAccounts} account(s) the IT policy allows, so the new sign-in was not kept.`,
  };
}

export function lostDataNotice(accounts: number): Notice {
  return {
    code: 'local_data_lost',
    message: `FieldKey's data on this laptop is gone: it had ${accounts} account(s), but its database was emptied or replaced. Sign in again online; notes that were synced come back from the server. If IT has a backup of the database, restoring it brings the rest back (IT can run "fieldkey doctor").`,
  };
}

/** A failed sign-in or refresh as a notice: the error's code and message, or a generic one. */
export function errorNotice(error: unknown, fallbackCode: string): Notice {
  if (isFieldKeyError(error)) return { code: error.code, message: error.message };
  return { code: fallbackCode, message: 'Something went wrong while talking to the sign-in service. Try again.' };
}
