/** The typed error codes: one constant list, snake_case, each once; a code outside it does not compile. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FieldKeyError, isFieldKeyError, isNoConnection, toErrorData } from '../../src/shared/errors';

describe('ERROR_CODES', () => {
  it('lists each code once, in snake_case', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  it('a code outside the list is a type error (checked by npm run typecheck)', () => {
    // @ts-expect-error: 'wrong_pinn' is not an ErrorCode
    const typo = new FieldKeyError('wrong_pinn', 'typo');
    expect(typo.code).toBe('wrong_pinn');
  });
});

describe('isNoConnection', () => {
  it('is true for no answer (offline) and an unusable answer (idp_unavailable), false for a refusal', () => {
    expect(isNoConnection(new FieldKeyError('offline', 'x'))).toBe(true);
    expect(isNoConnection(new FieldKeyError('idp_unavailable', 'x'))).toBe(true);
    expect(isNoConnection(new FieldKeyError('idp_unreachable', 'x'))).toBe(false);
    expect(isNoConnection(new FieldKeyError('token_refused', 'x'))).toBe(false);
    expect(isNoConnection(new Error('offline'))).toBe(false);
  });
});

describe('toErrorData', () => {
  it('keeps a FieldKeyError code and message, hides anything else', () => {
    expect(toErrorData(new FieldKeyError('read_only', 'Read-only.'))).toEqual({ code: 'read_only', message: 'Read-only.' });
    expect(toErrorData(new Error('secret detail'))).toEqual({ code: 'internal_error', message: 'An unexpected error occurred.' });
    expect(isFieldKeyError(new FieldKeyError('offline', 'x'), 'offline')).toBe(true);
  });
});
