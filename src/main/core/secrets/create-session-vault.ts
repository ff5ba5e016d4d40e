/**
 * The app's wiring of the vault: the keychain store it is given (the OS keychain in the app),
 * and Argon2id parameters from the policy (fixed, or calibrated once for the target unlock time and
 * cached in the database).
 */
import type { Clock } from '../clock';
import type { Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import type { RecordMac } from '../records/record-mac';
import { argon2ParamsFromPolicy } from './kdf-calibration';
import type { SecretStore } from './secret-store';
import { SessionVault } from './session-vault';

export interface CreateSessionVaultOptions {
  db: Database;
  policy: Pick<Policy, 'pin' | 'argon2' | 'maxAccounts' | 'offlineToken'>;
  clock: Clock;
  /** The OS keychain in the app (adapters/keychain), a test's store in tests. */
  secrets: SecretStore;
  /** The installation's record MAC key, when the keychain gave one (the counter rows are signed under it). */
  recordMac?: RecordMac | undefined;
}

export function createSessionVault(options: CreateSessionVaultOptions): SessionVault {
  const { db, policy, clock } = options;
  return new SessionVault({
    db,
    secrets: options.secrets,
    recordMac: options.recordMac,
    clock,
    policy,
    argon2: argon2ParamsFromPolicy(policy.argon2, { db, clock }),
  });
}
