/**
 * Migration 9: a MAC column on each cached signing key (jwks-store.ts), HMAC-SHA256 under the
 * installation's record MAC key in the OS keychain (record-mac.ts), so a key written into the cache
 * with any SQLite tool is not trusted. NULL for rows written before this migration or without the key.
 */
export const jwksKeyMacsSchema = `
ALTER TABLE jwks_keys ADD COLUMN mac BLOB;
`;
