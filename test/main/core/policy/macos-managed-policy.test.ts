import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBinary } from 'plist';
import { describe, expect, it } from 'vitest';
import { MANAGED_PLIST_PATH, macosManagedPolicySource, parseManagedPlist } from '../../../../src/main/core/policy/macos-managed-policy';
import { policyProblems, validatePolicyDocument } from '../../../../src/main/core/policy/parse-policy';
import { PolicyInvalidError } from '../../../../src/main/core/policy/policy-errors';
import { fakePolicyFs } from './fake-policy-fs';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../../fixtures/policy/plist', name), 'utf8');

describe('parseManagedPlist', () => {
  it('reads the settings of an XML plist, leaving out Payload keys', () => {
    const document = parseManagedPlist(fixture('managed-fusionauth.plist'));
    expect(document).toEqual({
      issuer: 'acme.com',
      clientId: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e',
      discoveryUrl: 'https://auth.acme.com/30663132-6464-6665-3032-326466613934/.well-known/openid-configuration',
      allowedAlgorithms: ['RS256', 'ES256'],
      gracePeriodHours: 12,
      pin: { minLength: 8 },
      redirect: { mode: 'loopback' },
    });
    expect(validatePolicyDocument(document, MANAGED_PLIST_PATH).pin).toEqual({ minLength: 8, maxAttempts: 5 });
  });

  it('reads a binary plist (what macOS writes to Managed Preferences)', () => {
    const bytes = buildBinary({
      issuer: 'https://auth.acme.com',
      clientId: 'fieldkey',
      pin: { maxAttempts: 3 },
      extraScopes: ['email'],
      PayloadUUID: 'x',
    });
    expect(Buffer.from(bytes.subarray(0, 8)).toString()).toBe('bplist00');
    expect(parseManagedPlist(bytes)).toEqual({
      issuer: 'https://auth.acme.com',
      clientId: 'fieldkey',
      pin: { maxAttempts: 3 },
      extraScopes: ['email'],
    });
  });

  it('returns null when only profile bookkeeping is present', () => {
    expect(parseManagedPlist(fixture('only-payload-keys.plist'))).toBeNull();
  });

  it('leaves wrong plist types for the schema to name', () => {
    const problems = policyProblems(parseManagedPlist(fixture('wrong-types.plist')));
    expect(problems).toEqual([
      { field: 'enableTelemetry', reason: 'unknown key: FieldKey has no setting of that name' },
      { field: 'gracePeriodHours', reason: 'must be a whole number (got "24")' },
      { field: 'checkInIntervalDays', reason: 'must be a whole number (got 1.5)' },
      { field: 'jwksRefreshDays', reason: 'must be a whole number (got a date)' },
    ]);
  });

  it.each([
    ['not a plist', 'issuer=acme.com', 'is not a valid property list (XML or binary plist)'],
    ['an OpenStep plist', '{ issuer = "acme.com"; }', 'is not a valid property list (XML or binary plist)'],
    ['broken XML', '<plist><dict><key>issuer</key><string>x</dict>', 'is not a valid property list (XML or binary plist)'],
    ['a truncated binary plist', Buffer.from('bplist00\x01\x02', 'latin1'), 'is not a valid property list (XML or binary plist)'],
    ['a plist whose root is an array', fixture('array-root.plist'), 'the property list must be a dictionary of settings'],
  ])('refuses %s', (_name, content, reason) => {
    let error: PolicyInvalidError | undefined;
    try {
      parseManagedPlist(content, '/x.plist');
    } catch (e) {
      error = e as PolicyInvalidError;
    }
    expect(error).toBeInstanceOf(PolicyInvalidError);
    expect(error?.problems).toEqual([{ field: '(document)', reason }]);
  });
});

describe('macosManagedPolicySource', () => {
  it('reads /Library/Managed Preferences/com.fieldkey.app.plist', async () => {
    const fs = fakePolicyFs({ [MANAGED_PLIST_PATH]: fixture('managed-fusionauth.plist') });
    const source = macosManagedPolicySource({ fs });
    expect([source.kind, source.location]).toEqual(['managed-plist', '/Library/Managed Preferences/com.fieldkey.app.plist']);
    await expect(source.read()).resolves.toMatchObject({ issuer: 'acme.com' });
  });

  it('returns null without a managed plist', async () => {
    await expect(macosManagedPolicySource({ fs: fakePolicyFs({}) }).read()).resolves.toBeNull();
  });

  it('fails closed when the plist cannot be read', async () => {
    const fs = fakePolicyFs({ [MANAGED_PLIST_PATH]: { content: '', error: 'EACCES' } });
    await expect(macosManagedPolicySource({ fs }).read()).rejects.toMatchObject({
      code: 'policy_unreadable',
      message: expect.stringContaining('permission denied'),
    });
  });
});

describe('readOnlyHours from a managed plist', () => {
  const plist = (extra: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>issuer</key><string>https://auth.acme.com</string><key>clientId</key><string>fieldkey</string>${extra}</dict></plist>`;

  it.each([
    [
      'the strict profile',
      '<key>gracePeriodHours</key><integer>0</integer><key>readOnlyHours</key><integer>24</integer>',
      { gracePeriodHours: 0, readOnlyHours: 24 },
    ],
    ['no read-only tier', '<key>readOnlyHours</key><integer>0</integer>', { gracePeriodHours: 24, readOnlyHours: 0 }],
    ['the key left out (until the check-in)', '', { gracePeriodHours: 24, readOnlyHours: null }],
  ])('reads %s', (_name, extra, expected) => {
    expect(validatePolicyDocument(parseManagedPlist(plist(extra)), MANAGED_PLIST_PATH)).toMatchObject(expected);
  });

  it('refuses a string where the hours belong', () => {
    expect(policyProblems(parseManagedPlist(plist('<key>readOnlyHours</key><string>24</string>')))).toEqual([
      {
        field: 'readOnlyHours',
        reason: 'must be a whole number of hours from 0 to 2160, or null (read-only until the check-in falls due) (got "24")',
      },
    ]);
  });
});
