/**
 * The keytar adapter against the real Secret Service (scripts/with-keyring.sh), and against no
 * Secret Service at all: a child process whose D-Bus session address points at a socket that does
 * not exist (libsecret reads it at call time, so only a fresh process sees it reliably).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeytarSecretStore, keychainUnavailable } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { uniqueService } from './vault-fixtures';

const run = promisify(execFile);
const service = uniqueService('keytar');
const store = createKeytarSecretStore({ service });
const probe = fileURLToPath(new URL('./fixtures/keychain-probe.ts', import.meta.url));
const lockedScript = fileURLToPath(new URL('./fixtures/locked-keyring.sh', import.meta.url));
const lockedProbe = fileURLToPath(new URL('./fixtures/locked-keyring-probe.ts', import.meta.url));

describe('keytar secret store', () => {
  afterAll(async () => {
    for (const entry of await store.list()) await store.delete(entry);
  });

  it('stores, lists and deletes small entries under its own service', async () => {
    expect(await store.get('acct/device-key')).toBeNull();
    await store.set('acct/device-key', 'A'.repeat(44));
    await store.set('acct/attempts', 'v1 2 1767600000000');
    expect(await store.get('acct/device-key')).toBe('A'.repeat(44));
    expect((await store.list()).sort()).toEqual(['acct/attempts', 'acct/device-key']);
    // Another service does not see them.
    expect(await createKeytarSecretStore({ service: `${service}-other` }).list()).toEqual([]);
    await store.set('acct/device-key', 'B'.repeat(44));
    expect(await store.get('acct/device-key')).toBe('B'.repeat(44));
    expect(await store.delete('acct/device-key')).toBe(true);
    expect(await store.delete('acct/device-key')).toBe(false);
    expect(await store.list()).toEqual(['acct/attempts']);
  });

  it('takes its service name from FIELDKEY_KEYCHAIN_SERVICE by default', async () => {
    const previous = process.env.FIELDKEY_KEYCHAIN_SERVICE;
    process.env.FIELDKEY_KEYCHAIN_SERVICE = service;
    try {
      const byEnv = createKeytarSecretStore();
      await byEnv.set('env/entry', 'value');
      expect(await store.get('env/entry')).toBe('value');
      await byEnv.delete('env/entry');
    } finally {
      if (previous === undefined) delete process.env.FIELDKEY_KEYCHAIN_SERVICE;
      else process.env.FIELDKEY_KEYCHAIN_SERVICE = previous;
    }
  });

  it('fails with keychain_unavailable and advice when no Secret Service is reachable, and stores nothing in plaintext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-nokeychain-'));
    try {
      const file = join(dir, 'fieldkey.db');
      const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}` };
      delete env.DISPLAY;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, service, file], { env, timeout: 60_000 });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      for (const step of ['set', 'get', 'list', 'createSession', 'unlock']) {
        expect(result[step].ok, step).toBe(false);
        expect(result[step].error.code, step).toBe('keychain_unavailable');
      }
      expect(result.set.error.message).toMatch(/gnome-keyring/);
      expect(result.set.error.message).toMatch(/unlocked/);
      expect(result.set.error.message).toMatch(/never stores them in plaintext/);

      const db = openDatabase(file);
      expect(db.prepare('SELECT count(*) AS n FROM sealed_sessions').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM accounts').get()).toEqual({ n: 1 });
      db.close();
      expect(readFileSync(file).includes(Buffer.from('probe-refresh-token'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a locked keyring (no way to prompt for its password) as keychain_unavailable, not as a missing key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-locked-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.DBUS_SESSION_BUS_ADDRESS;
      const { stdout } = await run('dbus-run-session', ['--', 'bash', lockedScript, dir, lockedProbe, service, join(dir, 'fieldkey.db')], {
        env,
        timeout: 60_000,
      });
      const [sealed, unlocked] = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(sealed).toMatchObject({ phase: 'seal', ok: true, sealed: true });
      expect(unlocked).toMatchObject({ phase: 'unlock', ok: false, error: { code: 'keychain_unavailable' }, failures: 0, sealed: true });
      expect(unlocked.error.message).toMatch(/unlocked/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['linux', false, /gnome-keyring.*unlocked/],
    ['linux', true, /libsecret-1-0/],
    ['darwin', false, /login keychain/],
    ['win32', false, /Credential Manager/],
  ] as const)('advises on %s (native module failed to load: %s)', (platform, loadFailed, advice) => {
    const error = keychainUnavailable(platform, new Error('Could not connect'), loadFailed);
    expect(error.code).toBe('keychain_unavailable');
    expect(error.message).toMatch(advice);
    expect(error.message).toContain('(Could not connect)');
  });
});
