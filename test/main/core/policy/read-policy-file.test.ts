import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePolicyBytes, MAX_POLICY_BYTES, readPolicyFile } from '../../../../src/main/core/policy/read-policy-file';
import { PolicyInvalidError } from '../../../../src/main/core/policy/policy-errors';
import { FieldKeyError } from '../../../../src/shared/errors';
import { fakePolicyFs } from './fake-policy-fs';

const fixtures = join(import.meta.dirname, '../../../fixtures/policy');
const dir = mkdtempSync(join(tmpdir(), 'fieldkey-policy-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('readPolicyFile', () => {
  it.each([
    ['valid-minimal.json', { issuer: 'https://auth.acme.com', audience: 'fieldkey-desktop', idp: 'oidc', gracePeriodHours: 24 }],
    [
      'valid-full.json',
      {
        audience: 'api://fieldkey',
        offlineToken: 'id',
        redirect: { mode: 'fixed-port', port: 49152 },
        argon2: { memoryKiB: 131072, iterations: 4, parallelism: 2 },
        auditRetentionDays: 90,
        auditRetentionRows: 5000,
      },
    ],
    [
      'fusionauth.json',
      { issuer: 'acme.com', audience: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e', idp: 'fusionauth', allowedAlgorithms: ['RS256', 'ES256'] },
    ],
  ])('reads the fixture %s', (name, expected) => {
    expect(readPolicyFile(join(fixtures, name))).toMatchObject(expected);
  });

  it('names each bad field of an invalid file', () => {
    const error = thrown(() => readPolicyFile(join(fixtures, 'invalid-many.json'))) as PolicyInvalidError;
    expect(error).toBeInstanceOf(PolicyInvalidError);
    expect(error.problems.map((p) => p.field).sort()).toEqual([
      'allowedAlgorithms[1]',
      'gracePeriodHour',
      'issuer',
      'pin.minLength',
      'redirect.port',
    ]);
    expect(error.message.split('\n')).toHaveLength(6);
  });

  it('gives line and column for a trailing comma', () => {
    const error = thrown(() => readPolicyFile(join(fixtures, 'trailing-comma.json'))) as PolicyInvalidError;
    expect(error.problems).toEqual([{ field: '(document)', reason: "invalid JSON at line 4, column 1: trailing comma before '}'" }]);
  });

  it.each([
    ['missing file', join(dir, 'nope.json'), /could not be read: no such file/],
    ['directory', dir, /could not be read: it is a directory/],
  ])('reports a %s as policy_unreadable, naming the path', (_name, path, message) => {
    const error = thrown(() => readPolicyFile(path)) as FieldKeyError;
    expect(error.code).toBe('policy_unreadable');
    expect(error.message).toMatch(message);
    expect(error.message).toContain(path);
  });

  it('reports permission denied as policy_unreadable', () => {
    const fs = fakePolicyFs({ '/etc/fieldkey/policy.json': { content: '{}', error: 'EACCES' } });
    const error = thrown(() => readPolicyFile('/etc/fieldkey/policy.json', fs)) as FieldKeyError;
    expect([error.code, error.message]).toEqual([
      'policy_unreadable',
      'Policy /etc/fieldkey/policy.json could not be read: permission denied',
    ]);
  });

  it.each([
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"issuer":"https://a.example","clientId":"é"}')])],
    [
      'UTF-16 LE with BOM (PowerShell 5 Out-File)',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"issuer":"https://a.example","clientId":"é"}', 'utf16le')]),
    ],
    [
      'UTF-16 BE with BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('{"issuer":"https://a.example","clientId":"é"}', 'utf16le').swap16()]),
    ],
  ])('reads %s', (_name, bytes) => {
    const path = join(dir, 'encoded.json');
    writeFileSync(path, bytes);
    expect(readPolicyFile(path).clientId).toBe('é');
  });

  it('refuses bytes that are not text', () => {
    const path = join(dir, 'binary.json');
    writeFileSync(path, Buffer.from([0x7b, 0xff, 0xfe, 0xfd, 0x7d, 0x00, 0xc3]));
    const error = thrown(() => readPolicyFile(path)) as PolicyInvalidError;
    expect(error.problems[0]?.reason).toMatch(/not UTF-8 or UTF-16 text/);
  });

  it('refuses a file larger than a policy can be, without parsing it', () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, Buffer.alloc(MAX_POLICY_BYTES + 1, 0x20));
    const error = thrown(() => readPolicyFile(path)) as PolicyInvalidError;
    expect(error.code).toBe('policy_invalid');
    expect(error.problems[0]?.reason).toMatch(/is the right file/);
  });

  it('decodes plain UTF-8', () => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    expect(decodePolicyBytes(Buffer.from('{"a":"ü"}'))).toBe('{"a":"ü"}');
  });
});
