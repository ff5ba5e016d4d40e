/**
 * scripts/sign-windows.mjs, the Windows sign hook of electron-builder.release.yml, loaded the way
 * electron-builder loads it: it runs signtool with a hardware token's thumbprint or with the Azure
 * Trusted Signing plug-in, SHA-256 only, and refuses a missing, half or double configuration with a
 * stable code. signtool itself is a stand-in script that records its arguments (there is no signtool
 * here), run as a real process.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveFunction } from 'app-builder-lib/out/util/resolve.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type SignHook = (configuration: { path: string; hash?: string }, env?: NodeJS.ProcessEnv) => Promise<void>;

const root = fileURLToPath(new URL('../..', import.meta.url));
const THUMBPRINT = '0123456789abcdef0123456789abcdef01234567';
let dir: string;
let sign: SignHook;
let signtool: string;
let log: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-sign-'));
  log = join(dir, 'calls.jsonl');
  signtool = join(dir, 'signtool');
  writeFileSync(
    signtool,
    [
      `#!${process.execPath}`,
      "const fs = require('node:fs');",
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');`,
      "if (process.env.STANDIN_FAIL) { console.error('SignTool Error: No certificates were found that met all the given criteria.'); process.exit(1); }",
    ].join('\n'),
  );
  chmodSync(signtool, 0o755);
  sign = await resolveFunction<SignHook>('module', './scripts/sign-windows.mjs', 'sign', root);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const calls = (): string[][] =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as string[]);

describe('the Windows sign hook', () => {
  it('signs with the hardware token certificate named by its thumbprint, SHA-256, timestamped', async () => {
    rmSync(log, { force: true });
    await sign(
      { path: 'C:\\build\\FieldKey.exe', hash: 'sha256' },
      { FIELDKEY_SIGNTOOL: signtool, FIELDKEY_SIGN_CERT_SHA1: ` ${THUMBPRINT} ` },
    );
    expect(calls()).toEqual([
      [
        'sign',
        '/fd',
        'sha256',
        '/td',
        'sha256',
        '/tr',
        'http://timestamp.digicert.com',
        '/sha1',
        THUMBPRINT.toUpperCase(),
        'C:\\build\\FieldKey.exe',
      ],
    ]);
  });

  it('signs through the Azure Trusted Signing plug-in with its metadata and Microsoft’s timestamp server', async () => {
    rmSync(log, { force: true });
    const env = {
      FIELDKEY_SIGNTOOL: signtool,
      FIELDKEY_TRUSTED_SIGNING_DLIB: 'C:\\tools\\Azure.CodeSigning.Dlib.dll',
      FIELDKEY_TRUSTED_SIGNING_METADATA: 'C:\\tools\\metadata.json',
    };
    await sign({ path: 'FieldKey-0.1.0.msi', hash: 'sha256' }, env);
    await sign({ path: 'FieldKey-Setup-0.1.0.exe', hash: 'sha256' }, { ...env, FIELDKEY_SIGN_TIMESTAMP_URL: 'http://timestamp.example' });
    expect(calls()).toEqual([
      [
        'sign',
        '/fd',
        'sha256',
        '/td',
        'sha256',
        '/tr',
        'http://timestamp.acs.microsoft.com',
        '/dlib',
        'C:\\tools\\Azure.CodeSigning.Dlib.dll',
        '/dmdf',
        'C:\\tools\\metadata.json',
        'FieldKey-0.1.0.msi',
      ],
      [
        'sign',
        '/fd',
        'sha256',
        '/td',
        'sha256',
        '/tr',
        'http://timestamp.example',
        '/dlib',
        'C:\\tools\\Azure.CodeSigning.Dlib.dll',
        '/dmdf',
        'C:\\tools\\metadata.json',
        'FieldKey-Setup-0.1.0.exe',
      ],
    ]);
  });

  it.each([
    ['nothing is configured', {}, 'sign_not_configured', /No Windows signing key/],
    ['the thumbprint is not one', { FIELDKEY_SIGN_CERT_SHA1: 'my-token' }, 'sign_not_configured', /40 hexadecimal digits/],
    ['Trusted Signing is half configured', { FIELDKEY_TRUSTED_SIGNING_DLIB: 'x.dll' }, 'sign_not_configured', /needs both/],
    [
      'both ways are configured',
      { FIELDKEY_SIGN_CERT_SHA1: THUMBPRINT, FIELDKEY_TRUSTED_SIGNING_METADATA: 'm.json' },
      'sign_ambiguous',
      /not both/,
    ],
  ])('refuses to sign when %s, before running signtool', async (_name, env, code, message) => {
    rmSync(log, { force: true });
    await expect(sign({ path: 'FieldKey.exe', hash: 'sha256' }, { FIELDKEY_SIGNTOOL: signtool, ...env })).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(() => readFileSync(log)).toThrow();
  });

  it('refuses a SHA-1 signature (the release config asks for SHA-256 only)', async () => {
    await expect(
      sign({ path: 'FieldKey.exe', hash: 'sha1' }, { FIELDKEY_SIGNTOOL: signtool, FIELDKEY_SIGN_CERT_SHA1: THUMBPRINT }),
    ).rejects.toMatchObject({ code: 'sign_hash_unsupported' });
  });

  it('fails the build with signtool’s error line when signtool fails', async () => {
    const env = { FIELDKEY_SIGNTOOL: signtool, FIELDKEY_SIGN_CERT_SHA1: THUMBPRINT, STANDIN_FAIL: '1' };
    await expect(sign({ path: 'FieldKey.exe', hash: 'sha256' }, env)).rejects.toMatchObject({
      code: 'sign_failed',
      message: 'signtool could not sign FieldKey.exe: SignTool Error: No certificates were found that met all the given criteria.',
    });
  });

  it('fails with sign_failed when signtool cannot be started', async () => {
    await expect(
      sign({ path: 'FieldKey.exe', hash: 'sha256' }, { FIELDKEY_SIGNTOOL: join(dir, 'missing'), FIELDKEY_SIGN_CERT_SHA1: THUMBPRINT }),
    ).rejects.toMatchObject({
      code: 'sign_failed',
      message: expect.stringContaining('ENOENT'),
    });
  });
});
