/**
 * The log file with real files in a temp folder: where it lives on each platform, levels, size
 * rotation across restarts, the tail that support bundles take, private modes, a folder that
 * cannot be written, and the redaction pass that keeps tokens, keys and PINs out of it.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactSecrets, REDACTED } from '../../../../src/main/core/audit/secret-shapes';
import { logDir } from '../../../../src/main/core/environment';
import { LOG_FILE_NAME, LogFile, logLevelFrom, openLogFile, tailOfLog } from '../../../../src/main/adapters/logging/log-file';

let dir: string;
const at = new Date('2026-12-01T08:00:00.000Z');
const read = (name = LOG_FILE_NAME): string => readFileSync(join(dir, 'logs', name), 'utf8');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-log-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('logDir', () => {
  it("is the platform's log folder, XDG_STATE_HOME on Linux, and FIELDKEY_LOG_DIR wins everywhere", () => {
    expect(logDir({ HOME: '/home/tech' }, 'linux')).toBe('/home/tech/.local/state/fieldkey/logs');
    expect(logDir({ HOME: '/home/tech', XDG_STATE_HOME: '/srv/state' }, 'linux')).toBe('/srv/state/fieldkey/logs');
    expect(logDir({ HOME: '/Users/tech' }, 'darwin')).toBe('/Users/tech/Library/Logs/FieldKey');
    expect(logDir({ HOME: 'C:/Users/tech', LOCALAPPDATA: 'C:/Users/tech/AppData/Local' }, 'win32')).toBe(
      join('C:/Users/tech/AppData/Local', 'FieldKey', 'logs'),
    );
    for (const platform of ['linux', 'darwin', 'win32'] as const)
      expect(logDir({ HOME: '/h', FIELDKEY_LOG_DIR: '/var/log/fk' }, platform)).toBe('/var/log/fk');
  });

  it('openLogFile writes there, at FIELDKEY_LOG_LEVEL', () => {
    const log = openLogFile({ HOME: dir, XDG_STATE_HOME: join(dir, 'state'), FIELDKEY_LOG_LEVEL: 'warn' }, 'linux');
    log.info('not at warn');
    log.warn('disk nearly full');
    expect(log.file).toBe(join(dir, 'state', 'fieldkey', 'logs', LOG_FILE_NAME));
    expect(readFileSync(log.file, 'utf8')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z WARN disk nearly full\n$/);
  });
});

describe('LogFile', () => {
  it('writes one line per event with time and level, below the level nothing, in private files', () => {
    const log = new LogFile({ dir: join(dir, 'logs'), level: 'info', now: () => at });
    log.debug('chatty detail');
    log.info('policy: issuer https://auth.acme.com (file)');
    log.error('IPC signIn failed unexpectedly: TypeError\nsecond line');
    expect(read()).toBe(
      '2026-12-01T08:00:00.000Z INFO policy: issuer https://auth.acme.com (file)\n2026-12-01T08:00:00.000Z ERROR IPC signIn failed unexpectedly: TypeError ⏎ second line\n',
    );
    expect(statSync(join(dir, 'logs')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'logs', LOG_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('reads FIELDKEY_LOG_LEVEL, ignoring what is not a level', () => {
    expect(logLevelFrom({ FIELDKEY_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevelFrom({ FIELDKEY_LOG_LEVEL: 'verbose' })).toBe('info');
    expect(logLevelFrom({})).toBe('info');
  });

  it('rotates by size, keeps `keep` old files, and carries on after a restart', () => {
    const options = { dir: join(dir, 'logs'), maxBytes: 400, keep: 2, now: () => at };
    let log = new LogFile(options);
    const line = (n: number): string => `event ${String(n).padStart(3, '0')} ${'x'.repeat(40)}`;
    for (let n = 0; n < 10; n++) log.info(line(n));
    // A restart: a new LogFile picks the current file's size up from disk.
    log = new LogFile(options);
    for (let n = 10; n < 30; n++) log.info(line(n));

    const files = ['fieldkey.log', 'fieldkey.1.log', 'fieldkey.2.log'];
    for (const name of files) expect(statSync(join(dir, 'logs', name)).size).toBeLessThanOrEqual(400);
    expect(existsSync(join(dir, 'logs', 'fieldkey.3.log'))).toBe(false);
    const all = files
      .reverse()
      .map((name) => read(name))
      .join('');
    const numbers = [...all.matchAll(/event (\d{3})/g)].map((m) => Number(m[1]));
    // Oldest lines went with the dropped file; what is left is in order and ends with the last one.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => 30 - numbers.length + i));
    expect(numbers.at(-1)).toBe(29);
    expect(numbers[0]).toBeGreaterThan(0);
  });

  it('tail gives the last bytes in whole lines, reaching into the rotated file', () => {
    const log = new LogFile({ dir: join(dir, 'logs'), maxBytes: 300, keep: 3, now: () => at });
    for (let n = 0; n < 20; n++) log.info(`line ${n}`);
    const tail = log.tail(200);
    expect(tail.length).toBeLessThanOrEqual(200);
    expect(tail.endsWith('INFO line 19\n')).toBe(true);
    expect(tail.startsWith('2026-12-01T08:00:00.000Z INFO line ')).toBe(true);
    expect(log.tail(100_000)).toBe(
      ['fieldkey.3.log', 'fieldkey.2.log', 'fieldkey.1.log', 'fieldkey.log']
        .filter((n) => existsSync(join(dir, 'logs', n)))
        .map((n) => read(n))
        .join(''),
    );
    expect(tailOfLog(join(dir, 'nothing-here'), 1000)).toBe('');
  });

  it('a folder that cannot be written is reported once and never throws', () => {
    writeFileSync(join(dir, 'logs'), 'a file where the folder should be');
    const reports: string[] = [];
    const log = new LogFile({ dir: join(dir, 'logs'), reportFailure: (message) => reports.push(message) });
    log.info('one');
    log.error('two');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^the log file .*fieldkey\.log cannot be written \(E[A-Z]+\); logging to it stops\.$/);
  });
});

describe('redaction', () => {
  it('no token, refresh token, key or PIN reaches the file; ordinary text does', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwt = await new SignJWT({ sub: 'tech1', roles: ['technician'] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
    const refreshToken = randomBytes(32).toString('base64url');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pin = '482915';
    const code = randomBytes(16).toString('hex');
    const log = new LogFile({ dir: join(dir, 'logs'), now: () => at });
    log.info(`token response {"access_token":"${jwt}","refresh_token":"${refreshToken}"}`);
    log.info(`refresh failed for ${refreshToken}`);
    log.warn(`key ${pem}`);
    log.info(`unlock with pin=${pin} failed; typed ${pin}`);
    log.info(`callback http://127.0.0.1:53123/callback?code=${code}&state=abc`);
    log.info(`Authorization: Bearer ${jwt}`);
    log.info('keychain: unavailable; HTTP 503 from http://127.0.0.1:9011 at 2026-12-01T08:00:00Z; invalid_grant (RefreshTokenExpired)');

    const text = read();
    for (const secret of [jwt, refreshToken, pin, code, 'BEGIN PRIVATE KEY', pem.split('\n')[1]!]) expect(text).not.toContain(secret);
    for (const part of jwt.split('.')) expect(text).not.toContain(part);
    expect(text.split(REDACTED).length).toBeGreaterThan(8);
    expect(text).toContain(
      'keychain: unavailable; HTTP 503 from http://127.0.0.1:9011 at 2026-12-01T08:00:00Z; invalid_grant (RefreshTokenExpired)',
    );
    expect(text.trim().split('\n')).toHaveLength(7);
  });

  it('redactSecrets leaves text without secrets as it is', () => {
    for (const text of [
      'policy: issuer acme.com (registry)',
      'sign-in: account 3 of 5, offline until 2026-12-08',
      'IPC unlock failed unexpectedly: TypeError',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});
