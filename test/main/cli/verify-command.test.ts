import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliBundle, FIELDKEY_BIN } from '../../helpers/built-cli';
import { runCli, type CliRun } from '../../helpers/cli-run';
import { main } from '../../../src/main/cli/index';
import { parseIsoInstant } from '../../../src/main/cli/verify-command';
import { AUDIENCE, ISSUER, NOW_S, claims, makeKey, sign, type TestKey } from '../core/offline/token-factory';

const URL_ISSUER = 'https://id.example.com';
const NOW = '2026-06-01T12:00:00Z';
const DOCUMENTED_FIELDS = ['decision', 'reason', 'sub', 'kid', 'alg', 'expiresAt', 'fullUntil', 'readOnlyUntil', 'checkInDueAt', 'message'];

let dir: string;
let key: TestKey;
let token: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-verify-'));
  key = await makeKey('ES256', 'cli-key');
  token = await sign(key, claims());
  writeFileSync(file('jwks.json'), JSON.stringify({ keys: [key.jwk] }));
  writeFileSync(file('oct.json'), JSON.stringify({ keys: [{ kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }] }));
  writeFileSync(file('not-json.json'), '{ keys: ');
  writeFileSync(file('garbage.json'), JSON.stringify({ keys: 'none' }));
  writeFileSync(file('policy.json'), JSON.stringify({ issuer: URL_ISSUER, clientId: AUDIENCE, gracePeriodHours: 2, readOnlyHours: 3 }));
  writeFileSync(
    file('bad-policy.json'),
    JSON.stringify({ issuer: 'http://id.example.com', clientId: AUDIENCE, allowedAlgorithms: ['HS256'] }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], stdin = ''): Promise<CliRun> {
  return runCli(main, ['verify', ...args], { stdin });
}

const base = () => ['--jwks', file('jwks.json'), '--issuer', ISSUER, '--audience', AUDIENCE, '--now', NOW];

function json(result: CliRun): Record<string, unknown> {
  expect(result.stderr).toBe('');
  expect(result.stdout.trim().split('\n')).toHaveLength(1);
  const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
  for (const field of Object.keys(parsed)) expect(DOCUMENTED_FIELDS).toContain(field);
  expect(result.stdout).not.toContain('tech@example.com');
  return parsed;
}

describe('fieldkey verify: decisions and exit status', () => {
  it('full: exit 0 and the documented fields as ISO strings', async () => {
    const result = await run([...base(), '--last-check-in', '2026-05-30T00:00:00Z', token]);
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({
      decision: 'full',
      reason: 'valid',
      sub: 'tech-42',
      kid: 'cli-key',
      alg: 'ES256',
      expiresAt: '2026-06-01T12:15:00.000Z',
      fullUntil: '2026-06-02T12:15:00.000Z',
      readOnlyUntil: '2026-06-06T00:00:00.000Z',
      checkInDueAt: '2026-06-06T00:00:00.000Z',
      message: expect.any(String),
    });
  });

  const decisions: [string, string[], number, string, Record<string, unknown>?][] = [
    ['full inside the grace period', ['--now', '2026-06-01T14:00:00Z'], 0, 'grace_period', { fullUntil: '2026-06-02T12:15:00.000Z' }],
    [
      'read-only past the grace period, unbounded without a check-in',
      ['--now', '2026-06-03T12:00:00Z'],
      3,
      'expired',
      { fullUntil: '2026-06-02T12:15:00.000Z', readOnlyUntil: undefined },
    ],
    [
      'read-only bounded by --last-check-in',
      ['--now', '2026-06-03T12:00:00Z', '--last-check-in', '2026-05-30T00:00:00Z'],
      3,
      'expired',
      { readOnlyUntil: '2026-06-06T00:00:00.000Z' },
    ],
    [
      'denied past the check-in, after read-only',
      ['--now', '2026-06-06T00:00:01Z', '--last-check-in', '2026-05-30T00:00:00Z'],
      1,
      'check_in_overdue',
    ],
    ['denied on a high-water mark ahead of now', ['--high-water', '2026-06-01T13:00:00Z'], 1, 'clock_rollback'],
    ['denied on a last server time ahead of now', ['--last-server-time', '2026-06-01T12:06:00+00:00'], 1, 'clock_rollback'],
    [
      'records within the skew are trusted',
      ['--last-server-time', '2026-06-01T12:05:00Z', '--high-water', '2026-06-01T14:04:00+02:00'],
      0,
      'valid',
    ],
    [
      'denied when the check-in is overdue',
      ['--last-check-in', '2026-05-01T00:00:00Z'],
      1,
      'check_in_overdue',
      { checkInDueAt: '2026-05-08T00:00:00.000Z' },
    ],
    ['denied for another audience', ['--audience', 'other-app'], 1, 'audience_mismatch'],
    ['denied for another issuer (exact string)', ['--issuer', 'https://acme.com'], 1, 'issuer_mismatch'],
    ['--token-type id checks the same claims', ['--token-type', 'id'], 0, 'valid'],
  ];
  it.each(decisions)('%s', async (_name, extra, code, reason, fields) => {
    // Later flags win, so `extra` overrides the base values.
    const result = await run([...base(), ...extra, token]);
    expect(result.code).toBe(code);
    const output = json(result);
    expect(output.reason).toBe(reason);
    expect(output.decision).toBe({ 0: 'full', 3: 'read-only', 1: 'denied' }[code]);
    // A field given as undefined must be absent from the JSON.
    for (const [field, value] of Object.entries(fields ?? {})) expect([field, output[field]]).toEqual([field, value]);
  });

  it('reads the token from stdin with -, trimming whitespace', async () => {
    const result = await run([...base(), '-'], `\n  ${token}\r\n`);
    expect(result.code).toBe(0);
    expect(json(result).reason).toBe('valid');
  });

  it('a malformed token is a decision (exit 1), not a usage error', async () => {
    const result = await run([...base(), 'not-a-token']);
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({ decision: 'denied', reason: 'malformed' });
  });

  it('explains an HMAC-only key set', async () => {
    const result = await run(['--jwks', file('oct.json'), '--issuer', ISSUER, '--audience', AUDIENCE, '--now', NOW, token]);
    expect(result.code).toBe(1);
    const output = json(result);
    expect(output.reason).toBe('no_usable_keys');
    expect(output.message).toMatch(/HMAC-signed tokens cannot be verified offline.*RSA, EC or Ed25519/);
  });

  it.each([
    ['2026-06-01T12:00:00Z', 0, 'full', 'grace_period'],
    ['2026-06-01T15:00:00Z', 3, 'read-only', 'expired'],
    ['2026-06-01T16:05:00Z', 1, 'denied', 'expired'],
  ])('uses the policy file: its issuer, audience, grace period and read-only hours (now %s)', async (now, code, decision, reason) => {
    const urlToken = await sign(key, claims({ iss: URL_ISSUER, exp: NOW_S - 3600, iat: NOW_S - 7200 }));
    const result = await run(['--jwks', file('jwks.json'), '--policy', file('policy.json'), '--now', now, urlToken]);
    expect(result.code).toBe(code);
    expect(json(result)).toMatchObject({
      decision,
      reason,
      expiresAt: '2026-06-01T11:00:00.000Z',
      fullUntil: '2026-06-01T13:00:00.000Z',
      readOnlyUntil: '2026-06-01T16:00:00.000Z',
    });
  });

  it('--issuer overrides the policy issuer', async () => {
    const result = await run(['--jwks', file('jwks.json'), '--policy', file('policy.json'), '--issuer', ISSUER, '--now', NOW, token]);
    expect(result.code).toBe(0);
    expect(json(result).reason).toBe('valid');
  });

  it('defaults --now to the current time', async () => {
    const current = await sign(key, claims({ iat: Math.floor(Date.now() / 1000) - 60, exp: Math.floor(Date.now() / 1000) + 600 }));
    const result = await run(['--jwks', file('jwks.json'), '--issuer', ISSUER, '--audience', AUDIENCE, current]);
    expect(result.code).toBe(0);
  });

  it('--help prints the usage on stdout', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: fieldkey verify --jwks FILE/);
  });
});

describe('fieldkey verify: usage and configuration errors (exit 2)', () => {
  const errors: [string, () => string[], RegExp | RegExp[]][] = [
    ['no arguments', () => [], /TOKEN/],
    ['missing --jwks', () => ['--issuer', ISSUER, '--audience', AUDIENCE, token], /--jwks is required/],
    ['missing token', () => base(), /TOKEN/],
    ['two tokens', () => [...base(), token, token], /exactly one TOKEN/],
    ['missing --issuer without a policy', () => ['--jwks', file('jwks.json'), '--audience', AUDIENCE, token], /--issuer is required/],
    ['missing --audience without a policy', () => ['--jwks', file('jwks.json'), '--issuer', ISSUER, token], /--audience is required/],
    ['empty --issuer', () => [...base(), '--issuer', '', token], /--issuer must not be empty/],
    ['unknown option', () => [...base(), '--offline', token], /Unknown option '--offline'/],
    [
      'unreadable JWKS file',
      () => [...base(), '--jwks', file('missing.json'), token],
      /cannot read the JWKS file .*missing\.json: no such file/,
    ],
    ['JWKS file a directory', () => [...base(), '--jwks', dir, token], /cannot read the JWKS file/],
    ['JWKS file not JSON', () => [...base(), '--jwks', file('not-json.json'), token], /not valid JSON/],
    ['JWKS file not a key set', () => [...base(), '--jwks', file('garbage.json'), token], /Invalid JWKS: expected a "keys" array/],
    ['--now not ISO', () => [...base(), '--now', 'yesterday', token], /--now must be an ISO 8601/],
    ['--now without a zone', () => [...base(), '--now', '2026-06-01T12:00:00', token], /--now must be an ISO 8601/],
    [
      '--high-water on a day that does not exist',
      () => [...base(), '--high-water', '2026-02-30T00:00:00Z', token],
      /--high-water must be an ISO 8601/,
    ],
    ['--last-server-time garbage', () => [...base(), '--last-server-time', '1717243200', token], /--last-server-time/],
    ['--last-check-in garbage', () => [...base(), '--last-check-in', 'last week', token], /--last-check-in/],
    ['--token-type refresh', () => [...base(), '--token-type', 'refresh', token], /--token-type must be access or id/],
    [
      'invalid policy names each bad field',
      () => [...base(), '--policy', file('bad-policy.json'), token],
      [/^ {2}allowedAlgorithms\[0\]: /m, /^ {2}issuer: /m],
    ],
    ['unreadable policy', () => [...base(), '--policy', file('no-policy.json'), token], /no-policy\.json/],
  ];
  it.each(errors)('%s', async (_name, args, messages) => {
    const result = await run(args());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^fieldkey verify: /);
    for (const message of [messages].flat()) expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(token);
  });

  it.each(errors)('%s, under --json: { error: { code, message } } on stdout, nothing on stderr', async (_name, args, messages) => {
    const result = await run([...args(), '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(Object.keys(error).sort()).toEqual(['code', 'message']);
    expect(error.code).toMatch(/^[a-z]+(_[a-z]+)+$/);
    for (const message of [messages].flat()) expect(error.message).toMatch(message);
    expect(result.stdout).not.toContain(token);
  });

  it.each([
    ['unknown option', () => [...base(), '--offline', token], 'usage_error'],
    ['unreadable JWKS file', () => [...base(), '--jwks', file('missing.json'), token], 'jwks_unreadable'],
    ['JWKS file not a key set', () => [...base(), '--jwks', file('garbage.json'), token], 'jwks_invalid'],
    ['invalid policy', () => [...base(), '--policy', file('bad-policy.json'), token], 'policy_invalid'],
    ['unreadable policy', () => [...base(), '--policy', file('no-policy.json'), token], 'policy_unreadable'],
  ])('%s under --json is code %s', async (_name, args, code) => {
    const result = await run([...args(), '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code } });
  });
});

describe('parseIsoInstant', () => {
  it.each([
    ['2026-06-01T12:00:00Z', '2026-06-01T12:00:00.000Z'],
    ['2026-06-01T12:00Z', '2026-06-01T12:00:00.000Z'],
    ['2026-06-01T12:00:00.123Z', '2026-06-01T12:00:00.123Z'],
    ['2026-06-01T14:00:00+02:00', '2026-06-01T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s', (text, iso) => expect(parseIsoInstant(text)?.toISOString()).toBe(iso));

  it.each([
    '',
    '2026-06-01',
    '2026-06-01 12:00:00Z',
    '2026-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-06-01T24:00:00Z',
    '2026-06-01T12:60:00Z',
    'now',
  ])('refuses %j', (text) => expect(parseIsoInstant(text)).toBeUndefined());
});

describe('fieldkey verify as a real process', () => {
  beforeAll(buildCliBundle);

  it('node bin/fieldkey.mjs verify ... - reads stdin and exits 0', async () => {
    const child = spawn(process.execPath, [FIELDKEY_BIN, 'verify', ...base(), '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.stdin.end(token + '\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ decision: 'full', reason: 'valid', sub: 'tech-42', kid: 'cli-key', alg: 'ES256' });
  });
});
