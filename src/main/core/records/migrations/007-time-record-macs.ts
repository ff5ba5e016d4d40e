/**
 * Migration 7: a MAC column on each clock-trust record (time-records.ts). `server_times.mac` and
 * `check_ins.mac` authenticate their row; `clock_high_water.mac` authenticates the high-water mark
 * together with the newest server-time and check-in rows it was written with, so a deleted or
 * swapped newest row is noticed too. All are HMAC-SHA256 under the installation's record MAC key in
 * the OS keychain (record-mac.ts); NULL for rows written before this migration or without the key.
 * `audit_events.mac` keys the audit chain the same way: each row's seq and hash under that key
 * (audit/audit-keying.ts), so a chain recomputed outside FieldKey no longer verifies.
 */
export const timeRecordMacsSchema = `
ALTER TABLE audit_events ADD COLUMN mac BLOB;
ALTER TABLE server_times ADD COLUMN mac BLOB;
ALTER TABLE check_ins ADD COLUMN mac BLOB;
ALTER TABLE clock_high_water ADD COLUMN mac BLOB;
`;
