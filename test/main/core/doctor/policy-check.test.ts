import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkPolicy, readBundledJwks } from '../../../../src/main/core/doctor/policy-check';
import { demoPolicy } from '../../../../src/main/core/policy/policy-defaults';
import { FieldKeyError } from '../../../../src/shared/errors';
import { ISSUER, loadInstallPolicy, policyDocument, tempInstall, testKeys, type Install, type TestKeys } from './doctor-fixtures';

let install: Install;
let keys: TestKeys;
beforeAll(async () => {
  keys = await testKeys();
});
beforeEach(() => {
  install = tempInstall();
});
afterEach(() => install.cleanup());

const load = () => loadInstallPolicy(install);
const read = (path: string) => readFileSync(path);
const bundledPath = () => join(install.dir, 'jwks.json');

describe('checkPolicy', () => {
  it('a valid policy: where it came from and the settings that explain offline access', async () => {
    const { section, policy } = await checkPolicy({ loadPolicy: load, readFile: read });
    expect(policy?.issuer).toBe(ISSUER);
    expect(section).toMatchObject({
      status: 'ok',
      valid: true,
      source: { kind: 'env', location: install.policyFile, machineFile: null, description: `FIELDKEY_POLICY ${install.policyFile}` },
      errorCode: null,
      problems: [],
      settings: {
        issuer: ISSUER,
        clientId: 'fieldkey-desktop',
        audience: 'fieldkey-desktop',
        idp: 'oidc',
        offlineToken: 'access',
        allowedAlgorithms: ['RS256', 'ES256'],
        gracePeriodHours: 24,
        checkInIntervalDays: 7,
        jwksRefreshDays: 7,
        clockSkewSeconds: 300,
        maxAttempts: 5,
      },
      bundledJwks: null,
    });
  });

  it('an invalid policy: each field and why, where it was read', async () => {
    install.writePolicy(policyDocument({ checkInIntervalDays: 'weekly', allowedAlgorithms: ['HS256'] }));
    const { section, policy } = await checkPolicy({ loadPolicy: load, readFile: read });
    expect(policy).toBeUndefined();
    expect(section).toMatchObject({
      status: 'problem',
      valid: false,
      errorCode: 'policy_invalid',
      invalidSource: install.policyFile,
      settings: null,
      source: null,
    });
    expect(section.problems.map((p) => p.field).sort()).toEqual(['allowedAlgorithms[0]', 'checkInIntervalDays']);
    expect(section.findings).toEqual([
      { severity: 'problem', code: 'policy_invalid', message: expect.stringMatching(/is invalid \(2 problems\):\n {2}/) },
    ]);
  });

  it.each([
    ['policy_unreadable', new FieldKeyError('policy_unreadable', 'Policy /x could not be read: EACCES')],
    [
      'policy_insecure',
      new FieldKeyError('policy_insecure', 'Policy /etc/fieldkey/policy.json is writable by users other than its owner (mode 0666).'),
    ],
  ])('%s is a problem with the loader’s message', async (code, error) => {
    const { section } = await checkPolicy({ loadPolicy: () => Promise.reject(error), readFile: read });
    expect(section).toMatchObject({
      valid: false,
      errorCode: code,
      problems: [],
      findings: [{ severity: 'problem', code, message: error.message }],
    });
  });

  it('the demo policy is a note', async () => {
    const { section } = await checkPolicy({
      loadPolicy: async () => ({ policy: demoPolicy(), source: { kind: 'demo', location: 'built-in demo policy' } }),
      readFile: read,
    });
    expect(section).toMatchObject({ status: 'note', valid: true, findings: [{ code: 'demo_policy' }] });
  });

  it('a bundled jwks.json beside the policy: its key ids, never its key material', async () => {
    writeFileSync(bundledPath(), JSON.stringify({ keys: [keys.rsa, keys.ec] }));
    const { section } = await checkPolicy({ loadPolicy: load, readFile: read });
    expect(section.status).toBe('ok');
    expect(section.bundledJwks).toEqual({ path: bundledPath(), valid: true, keyCount: 2, kids: ['rsa-1', 'ec-1'], error: null });
    expect(JSON.stringify(section)).not.toContain(keys.rsa.n!);
  });

  it('an unusable bundled jwks.json is a problem', async () => {
    writeFileSync(bundledPath(), '{"keys": [');
    const { section } = await checkPolicy({ loadPolicy: load, readFile: read });
    expect(section).toMatchObject({
      status: 'problem',
      bundledJwks: { valid: false, error: 'it is not valid JSON.' },
      findings: [{ code: 'bundled_jwks_invalid' }],
    });
  });
});

describe('readBundledJwks', () => {
  it.each([
    ['not a key set', '{"kids": []}', 'Invalid JWKS: expected a "keys" array.'],
    ['a bad entry', '{"keys": [{"kty": "RSA", "n": "###", "e": "AQAB"}]}', 'Invalid JWKS: keys[0].n must be a base64url string.'],
    [
      'only an HMAC key',
      '{"keys": [{"kty": "oct", "kid": "hs", "k": "c2VjcmV0"}]}',
      'it holds no usable signing key (RSA, EC or Ed25519).',
    ],
  ])('%s', (_name, text, error) => {
    writeFileSync(bundledPath(), text);
    const facts = readBundledJwks(bundledPath(), read);
    expect(facts).toMatchObject({ valid: false, error });
    expect(JSON.stringify(facts)).not.toContain('c2VjcmV0');
  });

  it('an unreadable file says why, without throwing', () => {
    expect(existsSync(bundledPath())).toBe(false);
    expect(readBundledJwks(bundledPath(), read)).toEqual({
      path: bundledPath(),
      valid: false,
      keyCount: 0,
      kids: [],
      error: 'it cannot be read (ENOENT).',
    });
  });

  it('refuses a huge file before parsing it', () => {
    writeFileSync(bundledPath(), ' '.repeat(1024 * 1024 + 1));
    expect(readBundledJwks(bundledPath(), read).error).toMatch(/^it is 1048577 bytes/);
  });
});
