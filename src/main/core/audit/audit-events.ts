/**
 * The audit log's fixed list of event types and, per type, the only details it may carry. Details
 * are small, flat and never secret: each allowed name has a kind, every value is checked against it,
 * and text is refused when it looks like a token, a key or a PIN (secret-shapes.ts). A detail that
 * does not pass is refused with `audit_details_rejected`; the message names the detail, never its
 * value.
 */
import { FieldKeyError } from '../../../shared/errors';
import { looksLikeSecretName, secretShape } from './secret-shapes';

export const AUDIT_EVENT_TYPES = [
  'sign_in',
  'sign_out',
  'refresh',
  'refresh_refused',
  'revocation_detected',
  'unlock_ok',
  'unlock_failed',
  'lockout_wipe',
  'grace_entered',
  'read_only_entered',
  'access_denied',
  'check_in_overdue',
  'clock_rollback',
  'jwks_changed',
  'policy_invalid',
  'account_removed',
  'pin_changed',
  'records_tampered',
  'audit_tamper_detected',
  'local_data_lost',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * - `text`: a short string (at most TEXT_MAX_CHARS) that does not look like a secret;
 * - `issuer`: an http(s) URL without query or fragment, or else a `text` (FusionAuth's `acme.com`);
 * - `time`: an ISO 8601 instant (a `Date` is accepted and stored as ISO);
 * - `count`: a non-negative safe integer;
 * - `flag`: a boolean.
 * Any detail may also be null ("unknown").
 */
export type DetailKind = 'text' | 'issuer' | 'time' | 'count' | 'flag';

export const AUDIT_DETAILS: { readonly [T in AuditEventType]: Readonly<Record<string, DetailKind>> } = {
  sign_in: { issuer: 'issuer', reason: 'text', redirectMode: 'text' },
  sign_out: { reason: 'text', revocationQueued: 'flag' },
  refresh: { expiresAt: 'time', rotated: 'flag' },
  refresh_refused: { error: 'text', status: 'count' },
  revocation_detected: { error: 'text', wiped: 'flag' },
  unlock_ok: { access: 'text', failedAttempts: 'count' },
  unlock_failed: { failedAttempts: 'count', remainingAttempts: 'count' },
  lockout_wipe: { failedAttempts: 'count' },
  grace_entered: { expiredAt: 'time', graceEndsAt: 'time' },
  read_only_entered: { expiredAt: 'time', graceEndedAt: 'time', readOnlyUntil: 'time' },
  access_denied: { reason: 'text', expiredAt: 'time' },
  check_in_overdue: { lastCheckInAt: 'time', dueAt: 'time' },
  clock_rollback: { localTime: 'time', lastServerTime: 'time', highWater: 'time', behindSeconds: 'count', skewSeconds: 'count' },
  jwks_changed: { issuer: 'issuer', source: 'text', added: 'count', removed: 'count', restored: 'count' },
  policy_invalid: { source: 'text', field: 'text', reason: 'text' },
  account_removed: { reason: 'text' },
  pin_changed: { reason: 'text' },
  /** `record`: which local record's MAC failed (`unlock_attempts`). */
  records_tampered: { record: 'text' },
  // The start-up check of the chain (audit-verified.ts): where the first problem is, its kind, and the seq it checked from.
  audit_tamper_detected: { seq: 'count', problem: 'text', fromSeq: 'count' },
  /** A database without accounts beside the keychain entries of `accounts` accounts (their data is gone). */
  local_data_lost: { accounts: 'count' },
};

export type AuditDetailValue = string | number | boolean | null;
export type AuditDetails = Record<string, AuditDetailValue>;
/** What `append` accepts: like AuditDetails, plus `Date` for `time` details. */
export type AuditDetailsInput = Readonly<Record<string, AuditDetailValue | Date | undefined>>;

export const TEXT_MAX_CHARS = 200;
export const ACCOUNT_MAX_CHARS = 512;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const PRINTABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

/** Validates and normalizes the details of one event (undefined values are dropped). */
export function validateDetails(type: AuditEventType, input: AuditDetailsInput | undefined): AuditDetails {
  if (!isAuditEventType(type)) throw new FieldKeyError('audit_event_unknown', 'Unknown audit event type.');
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw rejected(type, undefined, 'must be an object');
  const allowed = AUDIT_DETAILS[type];
  const details: AuditDetails = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (looksLikeSecretName(name)) throw rejected(type, name, 'is named like a secret');
    const kind = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (kind === undefined) throw rejected(type, name, `is not an allowed detail of ${type}`);
    details[name] = checkValue(type, name, kind, value);
  }
  return details;
}

/** The account key (issuer + sub): bounded, and never a token or a key. */
export function validateAccount(account: string | null | undefined): string | null {
  if (account === undefined || account === null) return null;
  if (typeof account !== 'string' || account === '' || account.length > ACCOUNT_MAX_CHARS) {
    throw new FieldKeyError(
      'audit_details_rejected',
      `The audit account must be a non-empty string of at most ${ACCOUNT_MAX_CHARS} characters.`,
    );
  }
  if (hasControlCharacters(account) || /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\./.test(account) || /-----BEGIN /.test(account)) {
    throw new FieldKeyError('audit_details_rejected', 'The audit account looks like a token or a key; it was not recorded.');
  }
  return account;
}

function checkValue(type: AuditEventType, name: string, kind: DetailKind, value: AuditDetailValue | Date): AuditDetailValue {
  if (value === null) return null;
  switch (kind) {
    case 'count':
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
      throw rejected(type, name, 'must be a non-negative integer');
    case 'flag':
      if (typeof value === 'boolean') return value;
      throw rejected(type, name, 'must be true or false');
    case 'time': {
      const date = value instanceof Date ? value : typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : undefined;
      if (date && Number.isFinite(date.getTime())) return date.toISOString();
      throw rejected(type, name, 'must be an ISO 8601 instant');
    }
    case 'issuer':
      if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return checkText(type, name, value);
      if (isPlainUrl(value)) return value;
      throw rejected(type, name, 'must be a URL without credentials, query or fragment');
    case 'text':
      return checkText(type, name, value);
  }
}

function checkText(type: AuditEventType, name: string, value: AuditDetailValue | Date): string {
  if (typeof value !== 'string') throw rejected(type, name, 'must be a string');
  if (value.length > TEXT_MAX_CHARS) throw rejected(type, name, `is longer than ${TEXT_MAX_CHARS} characters`);
  if (hasControlCharacters(value)) throw rejected(type, name, 'contains control characters');
  const shape = secretShape(value);
  if (shape) throw rejected(type, name, shape);
  return value;
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** An http(s) URL with no credentials, query or fragment (where tokens travel), not secret-shaped. */
function isPlainUrl(value: string): boolean {
  if (value.length > TEXT_MAX_CHARS || hasControlCharacters(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.search || url.hash || value.includes('?') || value.includes('#')) return false;
  return !/eyJ[A-Za-z0-9_-]{2,}\.|-----BEGIN /.test(value);
}

function rejected(type: AuditEventType, name: string | undefined, reason: string): FieldKeyError {
  const what = name === undefined ? 'The details' : PRINTABLE_NAME.test(name) && !secretShape(name) ? `Detail "${name}"` : 'A detail';
  return new FieldKeyError('audit_details_rejected', `Audit event ${type}: ${what} ${reason}; it was not recorded.`);
}
