/**
 * Accounts, sealed sessions, failed-unlock counters and the cached Argon2id calibration
 * (DESIGN.md sections 3 and 4; owned by src/main/core/secrets and src/main/core/accounts).
 *
 * - `accounts`: what the lock screen shows in clear. `id` is the opaque account id (SHA-256 of
 *   issuer and `sub`, see account-id.ts); the `sub` itself is not stored in clear.
 * - `sealed_sessions`: one AES-256-GCM sealed token set per account with everything needed to open
 *   it except the PIN and the device key (see session-crypto.ts). `sealed_for` records, in clear,
 *   the account the envelope was sealed for, so a row copied to another account is recognised.
 * - `unlock_attempts`: failed unlock attempts since the last success (mirrored in the keychain).
 * - `kdf_calibration`: the calibrated Argon2id parameters per target unlock time on this machine.
 *
 * Instants are INTEGER milliseconds since the Unix epoch (local clock), as in migration 1.
 */
export const accountsSchema = `
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  issuer TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sealed_sessions (
  account_id TEXT PRIMARY KEY REFERENCES accounts (id),
  sealed_for TEXT NOT NULL,
  format INTEGER NOT NULL,
  kdf_memory_kib INTEGER NOT NULL,
  kdf_iterations INTEGER NOT NULL,
  kdf_parallelism INTEGER NOT NULL,
  kdf_salt BLOB NOT NULL,
  device_key_id BLOB NOT NULL,
  seal_salt BLOB NOT NULL,
  nonce BLOB NOT NULL,
  verifier BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  row_mac BLOB NOT NULL,
  sealed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE unlock_attempts (
  account_id TEXT PRIMARY KEY REFERENCES accounts (id),
  failures INTEGER NOT NULL CHECK (failures >= 0),
  last_attempt_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE kdf_calibration (
  target_ms INTEGER PRIMARY KEY,
  memory_kib INTEGER NOT NULL,
  iterations INTEGER NOT NULL,
  parallelism INTEGER NOT NULL,
  calibrated_at INTEGER NOT NULL
) STRICT;
`;
