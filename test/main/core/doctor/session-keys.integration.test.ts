/**
 * Doctor without the PIN, against the real Secret Service (scripts/with-keyring.sh) and real SQLite
 * files written by the app's own vault: a device key gone from the keychain or replaced, a sealed
 * row with one flipped byte, two accounts' rows swapped, a database emptied beside the keychain's
 * entries, and a locked keyring (gnome-keyring restarted with no way to prompt, as the secrets
 * tests make it).
 */
import BetterSqlite3 from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import type { DoctorReport } from '../../../../src/main/core/doctor/doctor-report';
import { runDoctor } from '../../../../src/main/core/doctor/run-doctor';
import { encodeDeviceKey, generateDeviceKey } from '../../../../src/main/core/secrets/session-crypto';
import { deviceKeyEntry } from '../../../../src/main/core/secrets/secret-store';
import { uniqueService } from '../secrets/vault-fixtures';
import { DAY_MS, installDoctorDeps, seedInstall, tempInstall, testKeys, type Install, type TestKeys } from './doctor-fixtures';

const run = promisify(execFile);
const lockedScript = fileURLToPath(new URL('../secrets/fixtures/locked-keyring.sh', import.meta.url));
const lockedProbe = fileURLToPath(new URL('./fixtures/locked-keyring-doctor-probe.ts', import.meta.url));
const NOW = new Date('2026-06-01T12:00:00.000Z');

let install: Install;
let keys: TestKeys;
let service: string;
let secrets: ReturnType<typeof createKeytarSecretStore>;

beforeAll(async () => {
  keys = await testKeys();
});
beforeEach(() => {
  install = tempInstall();
  service = uniqueService('doctor-keys');
  secrets = createKeytarSecretStore({ service });
});
afterEach(async () => {
  for (const entry of await secrets.list()) await secrets.delete(entry);
  install.cleanup();
});

/** Two accounts with sealed sessions, everything else healthy; returns their ids. */
async function seedTwo(): Promise<[string, string]> {
  const { accountIds } = await seedInstall(install.dbFile, {
    now: NOW,
    keys,
    jwksAgeMs: DAY_MS,
    serverTimeAgeMs: DAY_MS,
    accounts: [
      { displayName: 'Alice Example', subject: 'alice', checkInAgeMs: DAY_MS },
      { displayName: 'Bob Example', subject: 'bob', checkInAgeMs: DAY_MS },
    ],
    secrets,
  });
  return accountIds as [string, string];
}

const doctor = () => runDoctor(installDoctorDeps(install, { now: NOW, secrets, keychainService: service }));
const account = (report: DoctorReport, id: string) => report.accounts.accounts.find((a) => a.id === id)!;
const problemsOf = (report: DoctorReport) => report.problems.map((p) => `${p.accountId === null ? p.section : 'account'}:${p.code}`);

/** Edits the sealed rows with SQL, as someone with the file and no key could (no foreign keys enforced). */
function editRows(sql: (db: BetterSqlite3.Database) => void): void {
  const db = new BetterSqlite3(install.dbFile);
  db.pragma('foreign_keys = OFF');
  try {
    sql(db);
  } finally {
    db.close();
  }
}

describe('doctor: can each sealed session be opened?', () => {
  it('both device keys present and matching their rows: healthy, and nothing added to the keychain', async () => {
    await seedTwo();
    const before = (await secrets.list()).sort();
    const report = await doctor();
    expect(problemsOf(report)).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.keychain).toMatchObject({ reachable: true, errorCode: null });
    expect((await secrets.list()).sort()).toEqual(before);
  });

  it('a device key deleted from the keychain: device_key_missing for that account only, and it is denied', async () => {
    const [alice, bob] = await seedTwo();
    expect(await secrets.delete(deviceKeyEntry(alice))).toBe(true);
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['account:device_key_missing']);
    expect(report.problems[0]!.accountId).toBe(alice);
    expect(report.problems[0]!.message).toMatch(/device key is missing from the OS keychain/);
    expect(account(report, alice).offline).toMatchObject({ decision: 'denied', reason: 'device_key_missing', endsWith: 'online_check_in' });
    expect(account(report, bob).findings.map((f) => f.code)).not.toContain('device_key_missing');
  });

  it('a different device key in the keychain (a database restored from before a PIN change): device_key_missing', async () => {
    const [alice] = await seedTwo();
    await secrets.set(deviceKeyEntry(alice), encodeDeviceKey(generateDeviceKey()));
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['account:device_key_missing']);
    expect(report.problems[0]!.message).toMatch(/different device key for this account than the one its session was sealed with/);
  });

  it('one flipped byte in a sealed row: session_tampered, caught by the row MAC before any PIN', async () => {
    const [alice, bob] = await seedTwo();
    editRows((db) => {
      const { ciphertext } = db.prepare('SELECT ciphertext FROM sealed_sessions WHERE account_id = ?').get(bob) as { ciphertext: Buffer };
      ciphertext[3] = ciphertext[3]! ^ 0x01;
      db.prepare('UPDATE sealed_sessions SET ciphertext = ? WHERE account_id = ?').run(ciphertext, bob);
    });
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['account:session_tampered']);
    expect(report.problems[0]!.accountId).toBe(bob);
    expect(report.problems[0]!.message).toMatch(/row MAC does not verify/);
    expect(account(report, bob).offline).toMatchObject({ decision: 'denied', reason: 'session_tampered' });
    expect(account(report, alice).status).not.toBe('problem');
  });

  it('two accounts’ rows swapped whole: session_tampered for both (sealed for another account)', async () => {
    const [alice, bob] = await seedTwo();
    editRows((db) => {
      db.exec(`UPDATE sealed_sessions SET account_id = 'swap' WHERE account_id = '${alice}'`);
      db.exec(`UPDATE sealed_sessions SET account_id = '${alice}' WHERE account_id = '${bob}'`);
      db.exec(`UPDATE sealed_sessions SET account_id = '${bob}' WHERE account_id = 'swap'`);
    });
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['account:session_tampered', 'account:session_tampered']);
    expect(report.problems.map((p) => p.accountId).sort()).toEqual([alice, bob].sort());
    for (const p of report.problems) expect(p.message).toMatch(/sealed for another account/);
  });

  it('two rows swapped with their sealed-for names kept: session_tampered (sealed under the other account’s device key)', async () => {
    const [alice, bob] = await seedTwo();
    editRows((db) => {
      db.exec(`UPDATE sealed_sessions SET account_id = 'swap', sealed_for = 'swap' WHERE account_id = '${alice}'`);
      db.exec(`UPDATE sealed_sessions SET account_id = '${alice}', sealed_for = '${alice}' WHERE account_id = '${bob}'`);
      db.exec(`UPDATE sealed_sessions SET account_id = '${bob}', sealed_for = '${bob}' WHERE account_id = 'swap'`);
    });
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['account:session_tampered', 'account:session_tampered']);
    for (const p of report.problems) expect(p.message).toMatch(/sealed under another account's device key/);
  });
});

describe('doctor: an empty database beside the keychain’s entries', () => {
  it.each([
    ['a zero-byte file', () => writeFileSync(install.dbFile, '')],
    [
      'a database without accounts',
      () => {
        rmSync(install.dbFile);
        openDatabase(install.dbFile).close();
      },
    ],
    ['no file at all', () => rmSync(install.dbFile)],
  ])('%s: orphaned_keychain_entries, naming how many accounts there were', async (_what, empty) => {
    await seedTwo();
    empty();
    const report = await doctor();
    expect(problemsOf(report)).toEqual(['database:orphaned_keychain_entries']);
    expect(report.problems[0]!.message).toMatch(/this laptop had 2 account\(s\); their data is gone/);
    expect(report.problems[0]!.message).not.toMatch(/move it aside|delete/i);
  });

  it('an empty database and a keychain without account entries: no such problem', async () => {
    mkdirSync(install.dataDir);
    openDatabase(install.dbFile).close();
    const report = await doctor();
    expect(problemsOf(report)).toEqual([]);
  });
});

describe('doctor: a locked keyring', () => {
  it('is keychain_locked, not "Keychain OK", and no account is blamed for the keys it cannot read', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const { stdout } = await run('dbus-run-session', ['--', 'bash', lockedScript, install.dir, lockedProbe, service, install.dir], {
      env,
      timeout: 90_000,
    });
    const [sealed, checked] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(sealed).toMatchObject({ phase: 'seal', accountIds: [expect.any(String)] });
    expect(sealed.entries).toBeGreaterThan(0);
    expect(checked).toMatchObject({ phase: 'unlock', keychain: { status: 'problem', reachable: false, errorCode: 'keychain_locked' } });
    expect(checked.problems).toEqual(['keychain_locked']);
    expect(checked.accounts).not.toContain('device_key_missing');
  }, 120_000);
});
