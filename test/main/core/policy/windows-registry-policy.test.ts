import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseRegQueryOutput,
  REGISTRY_KEY,
  REGISTRY_VALUES,
  regExePath,
  registryToDocument,
  windowsRegistryPolicySource,
} from '../../../../src/main/core/policy/windows-registry-policy';
import { validatePolicyDocument } from '../../../../src/main/core/policy/parse-policy';
import { PolicyInvalidError } from '../../../../src/main/core/policy/policy-errors';
import type { RunCommand } from '../../../../src/main/core/policy/run-command';
import { FieldKeyError } from '../../../../src/shared/errors';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../../fixtures/policy/reg-query', name), 'utf8');

describe('parseRegQueryOutput', () => {
  it('parses keys, subkeys and value types from reg.exe output (CRLF)', () => {
    expect(parseRegQueryOutput(fixture('fusionauth-fleet.txt'))).toEqual([
      { key: '', name: 'Issuer', type: 'REG_SZ', data: 'acme.com' },
      { key: '', name: 'ClientId', type: 'REG_SZ', data: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e' },
      {
        key: '',
        name: 'DiscoveryUrl',
        type: 'REG_SZ',
        data: 'https://auth.acme.com/30663132-6464-6665-3032-326466613934/.well-known/openid-configuration',
      },
      { key: '', name: 'Idp', type: 'REG_SZ', data: 'fusionauth' },
      { key: '', name: 'AllowedAlgorithms', type: 'REG_MULTI_SZ', data: ['RS256', 'ES256'] },
      { key: '', name: 'RequiredClaims', type: 'REG_SZ', data: 'roles, email' },
      { key: '', name: 'GracePeriodHours', type: 'REG_DWORD', data: 12 },
      { key: '', name: 'ReadOnlyHours', type: 'REG_DWORD', data: 24 },
      { key: '', name: 'CheckInIntervalDays', type: 'REG_DWORD', data: 3 },
      { key: '', name: 'MaxAccounts', type: 'REG_DWORD', data: 2 },
      { key: 'Pin', name: 'MinLength', type: 'REG_DWORD', data: 8 },
      { key: 'Redirect', name: 'Mode', type: 'REG_SZ', data: 'fixed-port' },
      { key: 'Redirect', name: 'Port', type: 'REG_DWORD', data: 9000 },
    ]);
  });

  it('skips (Default) in any language, keeps spaces inside data, reads empty values and REG_QWORD', () => {
    expect(parseRegQueryOutput(fixture('default-and-spaces.txt'))).toEqual([
      { key: '', name: 'Issuer', type: 'REG_SZ', data: 'https://login.example.com/realms/field techs' },
      { key: '', name: 'ExtraScopes', type: 'REG_MULTI_SZ', data: [] },
      { key: '', name: 'Audience', type: 'REG_SZ', data: '' },
      { key: 'Argon2', name: 'MemoryKiB', type: 'REG_QWORD', data: 131072 },
      { key: 'Argon2', name: 'Iterations', type: 'REG_DWORD', data: 4 },
    ]);
  });

  it.each([
    ['an empty key', fixture('empty-key.txt')],
    ['no output', ''],
  ])('finds no values in %s', (_name, output) => {
    expect(parseRegQueryOutput(output)).toEqual([]);
  });

  it('accepts LF line endings and HKLM\\ headers', () => {
    expect(parseRegQueryOutput('HKLM\\SOFTWARE\\Policies\\FieldKey\\Pin\n    MaxAttempts    REG_DWORD    0x3\n')).toEqual([
      { key: 'Pin', name: 'MaxAttempts', type: 'REG_DWORD', data: 3 },
    ]);
  });
});

describe('registryToDocument', () => {
  it('maps values to the JSON policy shape, which then validates', () => {
    const { document, problems } = registryToDocument(parseRegQueryOutput(fixture('fusionauth-fleet.txt')));
    expect(problems).toEqual([]);
    expect(document).toEqual({
      issuer: 'acme.com',
      clientId: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e',
      discoveryUrl: 'https://auth.acme.com/30663132-6464-6665-3032-326466613934/.well-known/openid-configuration',
      idp: 'fusionauth',
      allowedAlgorithms: ['RS256', 'ES256'],
      requiredClaims: ['roles', 'email'],
      gracePeriodHours: 12,
      readOnlyHours: 24,
      checkInIntervalDays: 3,
      maxAccounts: 2,
      pin: { minLength: 8 },
      redirect: { mode: 'fixed-port', port: 9000 },
    });
    expect(validatePolicyDocument(document, REGISTRY_KEY)).toMatchObject({
      audience: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e',
      idp: 'fusionauth',
      readOnlyHours: 24,
      pin: { minLength: 8, maxAttempts: 5 },
    });
  });

  it('reads ReadOnlyHours 0 as no read-only tier, and its absence as read-only until the check-in', () => {
    const signIn = `${REGISTRY_KEY}\r\n    Issuer    REG_SZ    https://auth.acme.com\r\n    ClientId    REG_SZ    c\r\n`;
    const none = registryToDocument(
      parseRegQueryOutput(`${signIn}    GracePeriodHours    REG_DWORD    0x0\r\n    ReadOnlyHours    REG_DWORD    0x0\r\n`),
    );
    expect(validatePolicyDocument(none.document, REGISTRY_KEY)).toMatchObject({ gracePeriodHours: 0, readOnlyHours: 0 });
    expect(validatePolicyDocument(registryToDocument(parseRegQueryOutput(signIn)).document, REGISTRY_KEY).readOnlyHours).toBeNull();
    expect(registryToDocument([{ key: '', name: 'ReadOnlyHours', type: 'REG_SZ', data: '24' }]).problems).toEqual([
      { field: 'readOnlyHours', reason: 'must be a REG_DWORD (got REG_SZ) (registry value ReadOnlyHours)' },
    ]);
    const tooLong = registryToDocument(parseRegQueryOutput(`${signIn}    ReadOnlyHours    REG_DWORD    0x871\r\n`));
    expect(() => validatePolicyDocument(tooLong.document, REGISTRY_KEY)).toThrow(
      /readOnlyHours: must be a whole number of hours from 0 to 2160/,
    );
  });

  it.each([
    ['loopback', { mode: 'loopback' }],
    ['fixed-port', { mode: 'fixed-port', port: 49152 }],
    ['custom-scheme', { mode: 'custom-scheme', uri: 'com.acme.fieldkey:/callback' }],
  ])('reads only the Redirect values mode %s uses (the ADMX policy writes all three)', (mode, redirect) => {
    const { document, problems } = registryToDocument(parseRegQueryOutput(fixture('redirect-policy.txt').replace('custom-scheme', mode)));
    expect(problems).toEqual([]);
    expect(validatePolicyDocument(document, REGISTRY_KEY).redirect).toEqual(redirect);
  });

  it('still refuses Redirect values without a mode', () => {
    const { document } = registryToDocument([
      { key: '', name: 'Issuer', type: 'REG_SZ', data: 'https://auth.acme.com' },
      { key: '', name: 'ClientId', type: 'REG_SZ', data: 'c' },
      { key: 'Redirect', name: 'Port', type: 'REG_DWORD', data: 9000 },
    ]);
    expect(document).toMatchObject({ redirect: { port: 9000 } });
    expect(() => validatePolicyDocument(document, REGISTRY_KEY)).toThrow(/redirect/);
  });

  it('matches names case-insensitively, like the registry', () => {
    const { document } = registryToDocument([
      { key: 'PIN', name: 'maxattempts', type: 'REG_DWORD', data: 3 },
      { key: '', name: 'ISSUER', type: 'REG_SZ', data: 'x' },
    ]);
    expect(document).toEqual({ pin: { maxAttempts: 3 }, issuer: 'x' });
  });

  it('names unknown values and keys and wrong types', () => {
    const { problems } = registryToDocument(parseRegQueryOutput(fixture('mistakes.txt')));
    expect(problems).toEqual([
      { field: 'gracePeriodHours', reason: 'must be a REG_DWORD (got REG_SZ) (registry value GracePeriodHours)' },
      {
        field: 'AllowedAlgorithm',
        reason: 'unknown registry value: FieldKey has no setting of that name (did you mean AllowedAlgorithms?)',
      },
      { field: 'audience', reason: 'must be a REG_SZ (got REG_DWORD) (registry value Audience)' },
      { field: 'Pin\\Colour', reason: 'unknown registry value: FieldKey has no setting of that name' },
      { field: 'Extras\\Foo', reason: 'unknown registry key: FieldKey reads only Pin, Argon2, Redirect and Endpoints below its key' },
    ]);
  });

  it.each([
    ['REG_MULTI_SZ', { key: '', name: 'ExtraScopes', type: 'REG_MULTI_SZ', data: ['profile', 'email'] }],
    ['comma-separated REG_SZ', { key: '', name: 'ExtraScopes', type: 'REG_SZ', data: 'profile, email' }],
    ['space-separated REG_SZ', { key: '', name: 'ExtraScopes', type: 'REG_SZ', data: ' profile  email ' }],
  ])('reads a list from %s', (_name, value) => {
    expect(registryToDocument([value]).document).toEqual({ extraScopes: ['profile', 'email'] });
  });

  it('reads the audit retention settings from REG_DWORDs, and they validate', () => {
    const output = `${REGISTRY_KEY}\r\n    Issuer    REG_SZ    https://auth.acme.com\r\n    ClientId    REG_SZ    c\r\n    AuditRetentionDays    REG_DWORD    0x5a\r\n    AuditRetentionRows    REG_DWORD    0x1388\r\n`;
    const { document, problems } = registryToDocument(parseRegQueryOutput(output));
    expect(problems).toEqual([]);
    expect(validatePolicyDocument(document, REGISTRY_KEY)).toMatchObject({ auditRetentionDays: 90, auditRetentionRows: 5000 });
    expect(registryToDocument([{ key: '', name: 'AuditRetentionRows', type: 'REG_SZ', data: '5000' }]).problems).toEqual([
      { field: 'auditRetentionRows', reason: 'must be a REG_DWORD (got REG_SZ) (registry value AuditRetentionRows)' },
    ]);
  });

  it('reads ApiBaseUrl into api.baseUrl, and it validates', () => {
    const output = `${REGISTRY_KEY}\r\n    Issuer    REG_SZ    https://auth.acme.com\r\n    ClientId    REG_SZ    c\r\n    ApiBaseUrl    REG_SZ    https://api.acme.com/fieldkey\r\n`;
    const { document, problems } = registryToDocument(parseRegQueryOutput(output));
    expect(problems).toEqual([]);
    expect(validatePolicyDocument(document, REGISTRY_KEY)).toMatchObject({ api: { baseUrl: 'https://api.acme.com/fieldkey' } });
    expect(registryToDocument([{ key: '', name: 'ApiBaseUrl', type: 'REG_DWORD', data: 1 }]).problems).toEqual([
      { field: 'api.baseUrl', reason: 'must be a REG_SZ (got REG_DWORD) (registry value ApiBaseUrl)' },
    ]);
  });

  it('refuses a list of another type', () => {
    expect(registryToDocument([{ key: '', name: 'ExtraScopes', type: 'REG_DWORD', data: 1 }]).problems[0]?.reason).toMatch(
      /REG_MULTI_SZ, or a REG_SZ of comma-separated items \(got REG_DWORD\)/,
    );
  });

  it('treats empty strings and lists as not set', () => {
    expect(registryToDocument(parseRegQueryOutput(fixture('default-and-spaces.txt')))).toEqual({
      document: { issuer: 'https://login.example.com/realms/field techs', argon2: { memoryKiB: 131072, iterations: 4 } },
      problems: [],
    });
    expect(registryToDocument([{ key: 'Endpoints', name: 'Revocation', type: 'REG_SZ', data: '' }])).toEqual({
      document: null,
      problems: [],
    });
  });

  it('returns no document when nothing is set', () => {
    expect(registryToDocument([])).toEqual({ document: null, problems: [] });
  });

  it('has one mapping per registry value and per policy field', () => {
    const names = REGISTRY_VALUES.map((m) => `${m.key}\\${m.name}`.toLowerCase());
    const fields = REGISTRY_VALUES.map((m) => m.field.join('.'));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(fields).size).toBe(fields.length);
  });
});

describe('windowsRegistryPolicySource', () => {
  const runner = (
    result: { exitCode: number; stdout?: string; stderr?: string } | Error,
  ): RunCommand & { calls: [string, readonly string[]][] } => {
    const calls: [string, readonly string[]][] = [];
    const run = async (file: string, args: readonly string[]) => {
      calls.push([file, args]);
      if (result instanceof Error) throw result;
      return { stdout: '', stderr: '', ...result };
    };
    return Object.assign(run, { calls });
  };

  it('runs reg.exe by absolute path on the 64-bit view and maps its output', async () => {
    const run = runner({ exitCode: 0, stdout: fixture('fusionauth-fleet.txt') });
    const source = windowsRegistryPolicySource({ env: { SystemRoot: 'D:\\Windows' }, runCommand: run });
    expect([source.kind, source.location]).toEqual(['registry', 'HKLM\\SOFTWARE\\Policies\\FieldKey']);
    const document = await source.read();
    expect(document).toMatchObject({ issuer: 'acme.com', pin: { minLength: 8 } });
    expect(run.calls).toEqual([['D:\\Windows\\System32\\reg.exe', ['query', 'HKLM\\SOFTWARE\\Policies\\FieldKey', '/s', '/reg:64']]]);
  });

  it('defaults reg.exe to C:\\Windows', () => {
    expect(regExePath({})).toBe('C:\\Windows\\System32\\reg.exe');
  });

  it.each([
    ['the key is missing', { exitCode: 1, stderr: 'ERROR: The system was unable to find the specified registry key or value.\r\n' }],
    ['the key is empty', { exitCode: 0, stdout: fixture('empty-key.txt') }],
  ])('returns null when %s', async (_name, result) => {
    await expect(windowsRegistryPolicySource({ runCommand: runner(result) }).read()).resolves.toBeNull();
  });

  it('fails closed with policy_unreadable when reg.exe cannot run', async () => {
    const error = Object.assign(new Error('spawn'), { code: 'ENOENT' });
    await expect(windowsRegistryPolicySource({ runCommand: runner(error) }).read()).rejects.toMatchObject({
      code: 'policy_unreadable',
      message: expect.stringContaining('reg.exe could not run (ENOENT)'),
    });
  });

  it('fails closed with policy_unreadable on another reg.exe failure', async () => {
    const read = windowsRegistryPolicySource({ runCommand: runner({ exitCode: 5, stderr: 'ERROR: Access is denied.\r\n' }) }).read();
    await expect(read).rejects.toBeInstanceOf(FieldKeyError);
    await expect(read).rejects.toMatchObject({
      code: 'policy_unreadable',
      message: 'Policy HKLM\\SOFTWARE\\Policies\\FieldKey could not be read: reg.exe exited with status 5: ERROR: Access is denied.',
    });
  });

  it('throws policy_invalid naming unknown values and wrong types', async () => {
    const read = windowsRegistryPolicySource({ runCommand: runner({ exitCode: 0, stdout: fixture('mistakes.txt') }) }).read();
    await expect(read).rejects.toBeInstanceOf(PolicyInvalidError);
    await expect(read).rejects.toMatchObject({
      code: 'policy_invalid',
      message: expect.stringContaining('Pin\\Colour: unknown registry value'),
    });
  });
});
