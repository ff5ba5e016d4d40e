/**
 * IdP-supplied error text (`error`, `error_description`) is untrusted: before it reaches a message,
 * a page or the audit log it is cut to RFC 6749's character set (printable ASCII) and bounded.
 */
export const MAX_ERROR_CODE_CHARS = 64;
export const MAX_ERROR_DESCRIPTION_CHARS = 300;

export function sanitizeErrorText(value: string, max: number): string {
  return value
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, max)
    .trim();
}

/** The sanitized `error` and `error_description` of an OAuth error (code `unknown_error` when nothing is left). */
export function sanitizedOAuthError(error: string, description: unknown): { error: string; description: string | undefined } {
  const text = typeof description === 'string' ? sanitizeErrorText(description, MAX_ERROR_DESCRIPTION_CHARS) : '';
  return { error: sanitizeErrorText(error, MAX_ERROR_CODE_CHARS) || 'unknown_error', description: text || undefined };
}
