/**
 * Errors with stable codes (STYLE.md, after panva/jose). Tests, the CLI's JSON and the UI branch on
 * `code`, never on message text. Messages must never contain a token, a PIN or a key.
 */
export class FieldKeyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isFieldKeyError(value: unknown, code?: string): value is FieldKeyError {
  return value instanceof FieldKeyError && (code === undefined || value.code === code);
}

/** The data shape results take across process boundaries (IPC, CLI JSON). */
export interface ErrorData {
  code: string;
  message: string;
}

export function toErrorData(error: unknown): ErrorData {
  if (error instanceof FieldKeyError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'An unexpected error occurred.' };
}
