/** Shared audit test data: realistic allowed details per event type, and secret-looking values. */
import type { AuditDetailsInput, AuditEventType } from '../../../../src/main/core/audit/audit-events';

export const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc0MDAwMDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
export const OPAQUE_REFRESH_TOKEN = 'Qk3x9vT2mZ8pL1wR7yN4bF6hJ0sD5gA3cE9uV2iO8kX1';
export const HEX_KEY = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
export const PEM = '-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
export const PIN = '482916';

/** Secret-looking values, each with the shape it should be recognized as. */
export const SECRET_VALUES = [JWT, OPAQUE_REFRESH_TOKEN, HEX_KEY, PEM, PIN, `Bearer ${JWT}`, `refresh failed for ${OPAQUE_REFRESH_TOKEN}`];

/** Allowed, realistic details for every event type. */
export const ALLOWED_DETAILS: { [T in AuditEventType]: AuditDetailsInput } = {
  sign_in: { issuer: 'https://login.example.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', reason: 'first', redirectMode: 'loopback' },
  sign_out: { reason: 'user', revocationQueued: true },
  refresh: { expiresAt: '2025-03-01T10:15:00.000Z', rotated: true },
  refresh_refused: { error: 'invalid_grant', status: 400 },
  revocation_detected: { error: 'invalid_grant', wiped: true },
  unlock_ok: { access: 'read-only', failedAttempts: 2 },
  unlock_failed: { failedAttempts: 3, remainingAttempts: 2 },
  lockout_wipe: { failedAttempts: 5 },
  grace_entered: { expiredAt: '2025-03-01T10:15:00.000Z', graceEndsAt: '2025-03-02T10:15:00.000Z' },
  read_only_entered: {
    expiredAt: '2025-03-01T10:15:00.000Z',
    graceEndedAt: '2025-03-02T10:15:00.000Z',
    readOnlyUntil: '2025-03-08T08:00:00.000Z',
  },
  access_denied: { reason: 'expired', expiredAt: '2025-03-01T10:15:00.000Z' },
  check_in_overdue: { lastCheckInAt: '2025-02-20T08:00:00.000Z', dueAt: '2025-02-27T08:00:00.000Z' },
  clock_rollback: {
    localTime: '2025-01-01T00:00:00.000Z',
    lastServerTime: '2025-03-01T10:00:00.000Z',
    highWater: '2025-03-01T10:05:00.000Z',
    behindSeconds: 5_223_600,
    skewSeconds: 300,
  },
  jwks_changed: { issuer: 'acme.com', source: 'network', added: 1, removed: 1, restored: 0 },
  policy_invalid: { source: '/etc/fieldkey/policy.json', field: 'gracePeriodHours', reason: 'must be a number between 0 and 720' },
  account_removed: { reason: 'Removed by the user from the lock screen' },
  pin_changed: { reason: 'forgot_pin' },
  records_tampered: { record: 'unlock_attempts' },
  audit_tamper_detected: { seq: 42, problem: 'edited', fromSeq: 40 },
  local_data_lost: { accounts: 2 },
};
