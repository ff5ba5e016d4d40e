import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  combineMachinePolicy,
  DEMO_LOCATION,
  describePolicySource,
  loadPolicy,
  machinePolicyFile,
  machinePolicySources,
} from '../../../../src/main/core/policy/load-policy';
import type { MachinePolicySource, UnvalidatedPolicyDocument } from '../../../../src/main/core/policy/machine-policy-source';
import { MANAGED_PLIST_PATH } from '../../../../src/main/core/policy/macos-managed-policy';
import { PolicyInvalidError, policyUnreadable } from '../../../../src/main/core/policy/policy-errors';
import type { RunCommand } from '../../../../src/main/core/policy/run-command';
import { fakePolicyFs } from './fake-policy-fs';

const fixtures = join(import.meta.dirname, '../../../fixtures/policy');
const ETC = '/etc/fieldkey/policy.json';
const DEV = '/home/dev/policy.json';
const json = (document: object): string => JSON.stringify(document);
const FILE_POLICY = {
  issuer: 'https://file.example',
  clientId: 'from-file',
  gracePeriodHours: 6,
  pin: { minLength: 8, maxAttempts: 3 },
  argon2: { memoryKiB: 131072, iterations: 4 },
};
const ENV_POLICY = { issuer: 'https://env.example', clientId: 'from-env' };

function fleet(document: UnvalidatedPolicyDocument | null | Error, kind: MachinePolicySource['kind'] = 'registry'): MachinePolicySource {
  return {
    kind,
    name: 'fake fleet',
    location: kind === 'registry' ? 'HKLM\\SOFTWARE\\Policies\\FieldKey' : MANAGED_PLIST_PATH,
    read: async () => {
      if (document instanceof Error) throw document;
      return document;
    },
  };
}

describe('machinePolicyFile', () => {
  it.each([
    ['linux', {}, '/etc/fieldkey/policy.json'],
    ['freebsd', {}, '/etc/fieldkey/policy.json'],
    ['darwin', {}, '/Library/Application Support/FieldKey/policy.json'],
    ['win32', {}, 'C:\\ProgramData\\FieldKey\\policy.json'],
    ['win32', { ProgramData: 'D:\\ProgramData' }, 'D:\\ProgramData\\FieldKey\\policy.json'],
  ] as const)('on %s with %j is %s', (platform, env, expected) => {
    expect(machinePolicyFile(env, platform)).toBe(expected);
  });
});

describe('machinePolicySources', () => {
  it.each([
    ['win32', ['registry']],
    ['darwin', ['managed-plist']],
    ['linux', []],
  ] as const)('on %s: %j', (platform, kinds) => {
    expect(machinePolicySources({ platform }).map((s) => s.kind)).toEqual(kinds);
  });
});

describe('loadPolicy: search order', () => {
  it('falls back to the built-in demo policy when nothing is configured', async () => {
    const loaded = await loadPolicy({ env: {}, platform: 'linux', fs: fakePolicyFs({}) });
    expect(loaded.source).toEqual({ kind: 'demo', location: DEMO_LOCATION });
    expect(loaded.policy).toMatchObject({ issuer: 'http://127.0.0.1:9011', clientId: 'fieldkey-desktop', audience: 'fieldkey-desktop' });
    expect(loaded.bundledJwksPath).toBeUndefined();
  });

  it('takes FIELDKEY_POLICY when no machine policy exists, with the jwks.json beside it', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY), '/home/dev/jwks.json': '{"keys":[]}' });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'linux', fs });
    expect(loaded.source).toEqual({ kind: 'env', location: DEV });
    expect(loaded.policy.clientId).toBe('from-env');
    expect(loaded.bundledJwksPath).toBe('/home/dev/jwks.json');
    expect(fs.reads).toEqual([DEV]);
  });

  it('lets the machine-wide file lock the settings: FIELDKEY_POLICY is not even read', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY), [ETC]: json(FILE_POLICY) });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'linux', fs });
    expect(loaded.source).toEqual({ kind: 'machine-file', location: ETC });
    expect(loaded.policy.clientId).toBe('from-file');
    expect(fs.reads).toEqual([ETC]);
  });

  it('ignores FIELDKEY_POLICY when honorEnvPolicy is false', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY) });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'linux', fs, honorEnvPolicy: false });
    expect(loaded.source.kind).toBe('demo');
  });

  it('refuses to fall back to the demo policy when allowDemo is false', async () => {
    await expect(loadPolicy({ env: {}, platform: 'linux', fs: fakePolicyFs({}), allowDemo: false })).rejects.toMatchObject({
      code: 'policy_missing',
      message: expect.stringContaining('/etc/fieldkey/policy.json'),
    });
  });

  it('ignores an empty FIELDKEY_POLICY', async () => {
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: '' }, platform: 'linux', fs: fakePolicyFs({}) });
    expect(loaded.source.kind).toBe('demo');
  });

  it.each([
    ['linux', {}, ETC, '/etc/fieldkey/jwks.json'],
    ['darwin', {}, '/Library/Application Support/FieldKey/policy.json', '/Library/Application Support/FieldKey/jwks.json'],
    ['win32', { ProgramData: 'C:\\ProgramData' }, 'C:\\ProgramData\\FieldKey\\policy.json', 'C:\\ProgramData\\FieldKey\\jwks.json'],
  ] as const)('reads the machine-wide file on %s', async (platform, env, file, jwks) => {
    const fs = fakePolicyFs({ [file]: json(FILE_POLICY), [jwks]: '{"keys":[]}' });
    const loaded = await loadPolicy({ env, platform, fs, machineSources: [] });
    expect(loaded.source).toEqual({ kind: 'machine-file', location: file });
    expect(loaded.policy.clientId).toBe('from-file');
    expect(loaded.bundledJwksPath).toBe(jwks);
  });
});

describe('loadPolicy: fail closed', () => {
  it('does not fall through when FIELDKEY_POLICY names a missing file', async () => {
    const fs = fakePolicyFs({});
    await expect(loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'linux', fs })).rejects.toMatchObject({
      code: 'policy_unreadable',
      message: `Policy ${DEV} could not be read: no such file`,
    });
  });

  it('does not fall through when the machine-wide file is invalid', async () => {
    const fs = fakePolicyFs({ [ETC]: json({ ...FILE_POLICY, gracePeriodHours: 'a day' }) });
    const error = await loadPolicy({ env: {}, platform: 'linux', fs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyInvalidError);
    expect((error as PolicyInvalidError).problems).toEqual([{ field: 'gracePeriodHours', reason: 'must be a whole number (got "a day")' }]);
  });

  it.each([
    [0o100666, '0666'],
    [0o100664, '0664'],
    [0o100646, '0646'],
  ])('refuses a machine-wide file others can write (mode %o) on POSIX', async (mode, shown) => {
    const fs = fakePolicyFs({ [ETC]: { content: json(FILE_POLICY), mode } });
    await expect(loadPolicy({ env: {}, platform: 'linux', fs })).rejects.toMatchObject({
      code: 'policy_insecure',
      message: expect.stringContaining(`(mode ${shown})`),
    });
  });

  it('refuses a machine-wide file that root does not own on POSIX', async () => {
    const fs = fakePolicyFs({ [ETC]: { content: json(FILE_POLICY), uid: 1000 } });
    await expect(
      loadPolicy({
        env: {},
        platform: 'darwin',
        fs: fakePolicyFs({ '/Library/Application Support/FieldKey/policy.json': { content: json(FILE_POLICY), uid: 501 } }),
        machineSources: [],
      }),
    ).rejects.toMatchObject({
      code: 'policy_insecure',
      message: expect.stringContaining('owned by user id 501, not root'),
    });
    await expect(loadPolicy({ env: {}, platform: 'linux', fs })).rejects.toMatchObject({ code: 'policy_insecure' });
  });

  it('checks ownership of the machine-wide file it combines with a fleet policy', async () => {
    const file = '/Library/Application Support/FieldKey/policy.json';
    const fs = fakePolicyFs({ [file]: { content: json(FILE_POLICY), mode: 0o100666 } });
    await expect(
      loadPolicy({ env: {}, platform: 'darwin', fs, machineSources: [fleet({ maxAccounts: 1 }, 'managed-plist')] }),
    ).rejects.toMatchObject({ code: 'policy_insecure' });
  });

  it('accepts a 0644 or 0600 machine-wide file', async () => {
    for (const mode of [0o100644, 0o100600, 0o100444]) {
      const fs = fakePolicyFs({ [ETC]: { content: json(FILE_POLICY), mode } });
      await expect(loadPolicy({ env: {}, platform: 'linux', fs })).resolves.toMatchObject({ source: { kind: 'machine-file' } });
    }
  });

  it('does not check POSIX modes on Windows', async () => {
    const file = 'C:\\ProgramData\\FieldKey\\policy.json';
    const fs = fakePolicyFs({ [file]: { content: json(FILE_POLICY), mode: 0o100666 } });
    await expect(loadPolicy({ env: {}, platform: 'win32', fs, machineSources: [] })).resolves.toMatchObject({
      source: { kind: 'machine-file' },
    });
  });

  it('fails closed when a fleet source cannot be read, even with FIELDKEY_POLICY set', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY) });
    const source = fleet(policyUnreadable('HKLM\\SOFTWARE\\Policies\\FieldKey', 'reg.exe could not run'));
    await expect(loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'win32', fs, machineSources: [source] })).rejects.toMatchObject({
      code: 'policy_unreadable',
    });
    expect(fs.reads).toEqual([]);
  });
});

describe('loadPolicy: fleet machine policy locks settings', () => {
  const WIN_FILE = 'C:\\ProgramData\\FieldKey\\policy.json';

  it('wins over FIELDKEY_POLICY, which is not even read', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY) });
    const loaded = await loadPolicy({
      env: { FIELDKEY_POLICY: DEV },
      platform: 'win32',
      fs,
      machineSources: [fleet({ issuer: 'https://fleet.example', clientId: 'from-fleet' })],
    });
    expect(loaded.source).toEqual({ kind: 'registry', location: 'HKLM\\SOFTWARE\\Policies\\FieldKey' });
    expect(loaded.policy.clientId).toBe('from-fleet');
    expect(fs.reads).toEqual([]);
  });

  it('combines with the machine-wide file: fleet values win per field, pin per member, argon2 whole', async () => {
    const fs = fakePolicyFs({
      [WIN_FILE]: json(FILE_POLICY),
      'C:\\ProgramData\\FieldKey\\jwks.json': '{"keys":[]}',
      [DEV]: json(ENV_POLICY),
    });
    const source = fleet({ gracePeriodHours: 2, pin: { maxAttempts: 10 }, argon2: { targetUnlockMs: 800 } });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'win32', fs, machineSources: [source] });
    expect(loaded.source).toEqual({ kind: 'registry', location: 'HKLM\\SOFTWARE\\Policies\\FieldKey', machineFile: WIN_FILE });
    expect(loaded.policy).toMatchObject({
      issuer: 'https://file.example',
      clientId: 'from-file',
      gracePeriodHours: 2,
      pin: { minLength: 8, maxAttempts: 10 },
      argon2: { targetUnlockMs: 800 },
    });
    expect(loaded.bundledJwksPath).toBe('C:\\ProgramData\\FieldKey\\jwks.json');
    expect(fs.reads).toEqual([WIN_FILE]);
  });

  it('finds the bundled JWKS in the machine-wide folder when only the fleet policy exists', async () => {
    const fs = fakePolicyFs({ 'C:\\ProgramData\\FieldKey\\jwks.json': '{"keys":[]}' });
    const loaded = await loadPolicy({
      env: {},
      platform: 'win32',
      fs,
      machineSources: [fleet({ issuer: 'https://fleet.example', clientId: 'c' })],
    });
    expect(loaded.bundledJwksPath).toBe('C:\\ProgramData\\FieldKey\\jwks.json');
  });

  it('names both places when the combination is invalid', async () => {
    const fs = fakePolicyFs({ [WIN_FILE]: json({ ...FILE_POLICY, gracePeriodHours: 100 }) });
    const error = (await loadPolicy({ env: {}, platform: 'win32', fs, machineSources: [fleet({ checkInIntervalDays: 1 })] }).catch(
      (e: unknown) => e,
    )) as PolicyInvalidError;
    expect(error.code).toBe('policy_invalid');
    expect(error.source).toBe(`HKLM\\SOFTWARE\\Policies\\FieldKey combined with ${WIN_FILE}`);
    expect(error.problems.map((p) => p.field)).toEqual(['gracePeriodHours']);
  });

  it('names the machine-wide file when its JSON is broken', async () => {
    const fs = fakePolicyFs({ [WIN_FILE]: '{"issuer": }' });
    const error = (await loadPolicy({ env: {}, platform: 'win32', fs, machineSources: [fleet({ clientId: 'c' })] }).catch(
      (e: unknown) => e,
    )) as PolicyInvalidError;
    expect(error.source).toBe(WIN_FILE);
    expect(error.problems[0]?.reason).toMatch(/line 1, column 12/);
  });

  it('reports duplicate keys in the machine-wide file it combines with', async () => {
    const fs = fakePolicyFs({ [WIN_FILE]: '{"issuer": "https://a.example", "clientId": "c", "clientId": "d"}' });
    const error = (await loadPolicy({ env: {}, platform: 'win32', fs, machineSources: [fleet({ maxAccounts: 1 })] }).catch(
      (e: unknown) => e,
    )) as PolicyInvalidError;
    expect(error.problems).toEqual([{ field: 'clientId', reason: expect.stringMatching(/more than once/) }]);
  });

  it('refuses a machine-wide file that is not an object', async () => {
    const fs = fakePolicyFs({ [WIN_FILE]: '[]' });
    await expect(loadPolicy({ env: {}, platform: 'win32', fs, machineSources: [fleet({ maxAccounts: 1 })] })).rejects.toMatchObject({
      code: 'policy_invalid',
      source: WIN_FILE,
    });
  });

  it('requires issuer and clientId from one of the two', async () => {
    const error = (await loadPolicy({
      env: {},
      platform: 'win32',
      fs: fakePolicyFs({}),
      machineSources: [fleet({ maxAccounts: 1 })],
    }).catch((e: unknown) => e)) as PolicyInvalidError;
    expect(error.problems.map((p) => p.field)).toEqual(['issuer', 'clientId']);
  });

  it('falls through to FIELDKEY_POLICY when the fleet source holds nothing', async () => {
    const fs = fakePolicyFs({ [DEV]: json(ENV_POLICY) });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'win32', fs, machineSources: [fleet(null)] });
    expect(loaded.source.kind).toBe('env');
  });

  it('reads the real registry source through an injected reg.exe runner on Windows', async () => {
    const stdout = readFileSync(join(fixtures, 'reg-query/fusionauth-fleet.txt'), 'utf8');
    const runCommand: RunCommand = async () => ({ exitCode: 0, stdout, stderr: '' });
    const loaded = await loadPolicy({ env: { FIELDKEY_POLICY: DEV }, platform: 'win32', fs: fakePolicyFs({}), runCommand });
    expect(loaded.source).toEqual({ kind: 'registry', location: 'HKLM\\SOFTWARE\\Policies\\FieldKey' });
    expect(loaded.policy).toMatchObject({
      issuer: 'acme.com',
      gracePeriodHours: 12,
      checkInIntervalDays: 3,
      redirect: { mode: 'fixed-port', port: 9000 },
    });
  });

  it('reads the real managed-plist source on macOS', async () => {
    const fs = fakePolicyFs({ [MANAGED_PLIST_PATH]: readFileSync(join(fixtures, 'plist/managed-fusionauth.plist')) });
    const loaded = await loadPolicy({ env: {}, platform: 'darwin', fs });
    expect(loaded.source).toEqual({ kind: 'managed-plist', location: MANAGED_PLIST_PATH });
    expect(loaded.policy).toMatchObject({ issuer: 'acme.com', gracePeriodHours: 12 });
  });
});

describe('combineMachinePolicy', () => {
  it.each([
    ['fleet value wins', { gracePeriodHours: 1, maxAccounts: 2 }, { gracePeriodHours: 5 }, { gracePeriodHours: 5, maxAccounts: 2 }],
    ['pin per member', { pin: { minLength: 8, maxAttempts: 3 } }, { pin: { maxAttempts: 5 } }, { pin: { minLength: 8, maxAttempts: 5 } }],
    ['argon2 whole', { argon2: { memoryKiB: 131072, iterations: 4 } }, { argon2: { iterations: 5 } }, { argon2: { iterations: 5 } }],
    [
      'redirect whole',
      { redirect: { mode: 'fixed-port', port: 9000 } },
      { redirect: { mode: 'loopback' } },
      { redirect: { mode: 'loopback' } },
    ],
    ['endpoints whole', { endpoints: { token: 'a', jwks: 'b' } }, { endpoints: { token: 'c' } }, { endpoints: { token: 'c' } }],
    ['lists whole', { extraScopes: ['a', 'b'] }, { extraScopes: ['c'] }, { extraScopes: ['c'] }],
  ])('%s', (_name, file, fleetDocument, expected) => {
    expect(combineMachinePolicy(file, fleetDocument)).toEqual(expected);
  });
});

describe('describePolicySource', () => {
  it.each([
    [{ kind: 'env', location: DEV }, `FIELDKEY_POLICY ${DEV}`],
    [{ kind: 'machine-file', location: ETC }, `machine-wide file ${ETC}`],
    [{ kind: 'registry', location: 'HKLM\\X', machineFile: 'C:\\p.json' }, 'registry HKLM\\X (combined with C:\\p.json)'],
    [{ kind: 'managed-plist', location: MANAGED_PLIST_PATH }, `managed preferences ${MANAGED_PLIST_PATH}`],
    [{ kind: 'demo', location: DEMO_LOCATION }, 'built-in demo policy (demo IdP at http://127.0.0.1:9011)'],
  ] as const)('%j', (source, expected) => {
    expect(describePolicySource(source)).toBe(expected);
  });
});
