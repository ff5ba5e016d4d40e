/**
 * Errors with stable codes. Tests, the CLI's JSON and the UI branch on `code`, never on message
 * text. Messages must never contain a token, a PIN or a key. Every code is in ERROR_CODES, so a
 * typo does not compile.
 *
 * The three network codes mean different things:
 *  - `offline`: a request to the IdP got no answer (no route, refused, reset, timed out);
 *  - `idp_unavailable`: the IdP answered, but not usably (HTTP 5xx, an oversized or non-JSON body);
 *  - `idp_unreachable`: what an intent (sign-in, Retry) reports to the technician when either of
 *    the above kept it from reaching the IdP.
 * `isNoConnection` tells the first two apart from every refusal.
 */
export const ERROR_CODES = [
  'app_unavailable',
  'audit_details_rejected',
  'audit_event_unknown',
  'attempts_tampered',
  'audit_tampered',
  'authorization_response_invalid',
  'browser_unavailable',
  'connection_required',
  'data_not_private',
  'database_too_new',
  'database_unavailable',
  'device_key_missing',
  'discovery_invalid',
  'discovery_unavailable',
  'id_token_invalid',
  'identity_changed',
  'idp_error',
  'idp_unavailable',
  'idp_unreachable',
  'internal_error',
  'invalid_argument',
  'invalid_tokens',
  'ipc_failed',
  'issuer_mismatch',
  'jwks_invalid',
  'keychain_unavailable',
  'locked_out',
  'lockout_wipe',
  'misconfigured',
  'no_refresh_token',
  'no_sealed_session',
  'not_in_pin_setup',
  'not_signing_in',
  'not_unlocked',
  'note_invalid',
  'note_not_found',
  'offline',
  'offline_token_unverifiable',
  'pin_invalid',
  'pin_mismatch',
  'pin_too_long',
  'pin_too_short',
  'pin_trivial',
  'pin_whitespace',
  'pkce_unsupported',
  'policy_insecure',
  'policy_invalid',
  'policy_missing',
  'policy_unreadable',
  'read_only',
  'redirect_mode_unsupported',
  'redirect_port_unavailable',
  'refresh_token_missing',
  'revocation_not_queued',
  'revocation_refused',
  'session_account_mismatch',
  'session_locked',
  'session_revoked',
  'session_tampered',
  'sign_in_cancelled',
  'sign_in_in_progress',
  'sign_in_timeout',
  'sign_in_url_refused',
  'token_refused',
  'token_response_invalid',
  'too_many_accounts',
  'unknown_account',
  'unlock_delayed',
  'wrong_pin',
  'unknown_channel',
  'forbidden_sender',
  'usage_error',
  'audit_unreadable',
  'database_missing',
  'database_unreadable',
  'audit_log_missing',
  'jwks_unreadable',
  'api_protocol',
  'api_unauthorized',
  'api_unavailable',
  'api_unreachable',
  'keychain_locked',
  'orphaned_keychain_entries',
  'data_dir_not_a_directory',
  'data_dir_read_only',
  'database_not_a_file',
  'disk_full',
  'permission_denied',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class FieldKeyError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isFieldKeyError(value: unknown, code?: ErrorCode): value is FieldKeyError {
  return value instanceof FieldKeyError && (code === undefined || value.code === code);
}

/** No usable answer from the IdP right now (`offline`, `idp_unavailable`): keep everything, try again later. */
export function isNoConnection(error: unknown): error is FieldKeyError {
  return isFieldKeyError(error, 'offline') || isFieldKeyError(error, 'idp_unavailable');
}

/** The data shape results take across process boundaries (IPC, CLI JSON). */
export interface ErrorData {
  code: ErrorCode;
  message: string;
}

export function toErrorData(error: unknown): ErrorData {
  if (error instanceof FieldKeyError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'An unexpected error occurred.' };
}
