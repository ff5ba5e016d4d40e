/**
 * Migration 10: a MAC column on each unlock-attempt row (secrets/attempt-counter.ts), HMAC-SHA256
 * under the installation's record MAC key in the OS keychain (record-mac.ts). NULL for rows written
 * before this migration or without the key.
 */
export const unlockAttemptMacsSchema = `
ALTER TABLE unlock_attempts ADD COLUMN mac BLOB;
`;
