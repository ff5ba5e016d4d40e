import { describe, expect, it } from 'vitest';
import { accountIdFor, isAccountId } from '../../../../src/main/core/accounts/account-id';

describe('account id', () => {
  it('is a stable, opaque base64url SHA-256 of issuer and sub', () => {
    const id = accountIdFor('https://idp.example', 'alice');
    expect(id).toBe(accountIdFor('https://idp.example', 'alice'));
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain('alice');
    expect(isAccountId(id)).toBe(true);
  });

  it.each([
    [
      ['https://idp.example', 'alice'],
      ['https://idp.example', 'bob'],
    ],
    [
      ['https://idp.example', 'alice'],
      ['https://other.example', 'alice'],
    ],
    [
      ['acme.com', 'alice'],
      ['acme.co', 'malice'],
    ],
    [
      ['a\nb', 'c'],
      ['a', 'b\nc'],
    ],
  ])('differs for %j and %j', ([i1, s1], [i2, s2]) => {
    expect(accountIdFor(i1!, s1!)).not.toBe(accountIdFor(i2!, s2!));
  });

  it.each([[''], ['short'], ['x'.repeat(44)], ['a'.repeat(42) + '/'], [42], [null]])('rejects %j as an account id', (value) => {
    expect(isAccountId(value)).toBe(false);
  });
});
