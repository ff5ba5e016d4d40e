/**
 * The app's wiring of the vault: the OS keychain (keytar, service from FIELDKEY_KEYCHAIN_SERVICE),
 * and Argon2id parameters from the policy (fixed, or calibrated once for the target unlock time and
 * cached in the database).
 */
import type { Clock } from '../clock';
import type { Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import { argon2ParamsFromPolicy } from './kdf-calibration';
import { createKeytarSecretStore } from '../../adapters/keychain/keytar-secret-store';
import type { SecretStore } from './secret-store';
import { SessionVault } from './session-vault';

export interface CreateSessionVaultOptions {
  db: Database;
  policy: Pick<Policy, 'pin' | 'argon2' | 'maxAccounts' | 'offlineToken'>;
  clock: Clock;
  /** Defaults to the OS keychain. */
  secrets?: SecretStore;
}

export function createSessionVault(options: CreateSessionVaultOptions): SessionVault {
  const { db, policy, clock } = options;
  return new SessionVault({
    db,
    secrets: options.secrets ?? createKeytarSecretStore(),
    clock,
    policy,
    argon2: argon2ParamsFromPolicy(policy.argon2, { db, clock }),
  });
}
