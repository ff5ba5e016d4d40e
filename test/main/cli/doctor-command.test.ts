/**
 * `fieldkey doctor` end to end: a real SQLite file in FIELDKEY_DATA_DIR written by the app's own
 * code (with real sealed sessions), a real policy file in FIELDKEY_POLICY, and the real OS keychain
 * (run under scripts/with-keyring.sh) with a service name unique to this file. One case runs the
 * real executable in a child process whose D-Bus address leads nowhere.
 */
import BetterSqlite3 from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../../src/main/cli/cli-io';
import { buildCliBundle, FIELDKEY_BIN } from '../../helpers/built-cli';
import { runCli, type CliRun } from '../../helpers/cli-run';
import { createDoctorCommand } from '../../../src/main/cli/doctor-command';
import { main, usage } from '../../../src/main/cli/index';
import type { DoctorReport } from '../../../src/main/core/doctor/doctor-report';
import { createKeytarSecretStore } from '../../../src/main/adapters/keychain/keytar-secret-store';
import { deviceKeyEntry } from '../../../src/main/core/secrets/secret-store';
import { schemaVersion } from '../../../src/main/core/records/schema';
import {
  DAY_MS,
  PIN,
  TOKENS,
  corruptIndexPage,
  policyDocument,
  seedInstall,
  tempInstall,
  testKeys,
  tokensExpiringAt,
  unreachableSecretStore,
  type Install,
  type SeedOptions,
  type TestKeys,
} from '../core/doctor/doctor-fixtures';

const SERVICE = `FieldKey-test-doctor-${process.pid}-${randomBytes(4).toString('hex')}`;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const secrets = createKeytarSecretStore({ service: SERVICE });

let install: Install;
let keys: TestKeys;

beforeAll(async () => {
  keys = await testKeys();
});
beforeEach(() => {
  install = tempInstall();
});
afterEach(async () => {
  for (const entry of await secrets.list()) await secrets.delete(entry);
  install.cleanup();
});

const env = () => ({ FIELDKEY_DATA_DIR: install.dataDir, FIELDKEY_POLICY: install.policyFile, FIELDKEY_KEYCHAIN_SERVICE: SERVICE });

function run(args: string[], command: Command = main): Promise<CliRun> {
  return runCli(command, args, { env: env() });
}

async function runJson(): Promise<{ code: number; report: DoctorReport }> {
  const result = await run(['doctor', '--json']);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

/** A healthy install as of the real clock now: keys fetched a day ago, one account checked in two days ago. */
async function seed(options: Partial<SeedOptions> = {}): Promise<string[]> {
  const seeded = await seedInstall(install.dbFile, {
    now: new Date(),
    keys,
    secrets,
    jwksAgeMs: DAY_MS,
    serverTimeAgeMs: 2 * DAY_MS,
    accounts: [{ displayName: 'Alice Example', email: 'alice@example.com', subject: 'alice', checkInAgeMs: 2 * DAY_MS }],
    auditEvents: 4,
    ...options,
  });
  return seeded.accountIds;
}

const problemCodes = (report: DoctorReport) => report.problems.map((p) => p.code);

describe('fieldkey doctor', () => {
  it('is listed in the usage', () => {
    expect(usage()).toContain('fieldkey doctor [--json]');
  });

  it('exits 0 on a healthy install, section by section', async () => {
    await seed();
    const result = await run(['doctor']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const sections: [string, string][] = [
      ['Policy', `FIELDKEY_POLICY ${install.policyFile}`],
      ['Database', install.dbFile],
      ['Keychain', `service "${SERVICE}": reachable`],
      ['JWKS', 'issuer https://idp.example.test'],
      ['Accounts', '1 account(s) (policy allows 5)'],
      ['Audit log', '4 row(s), chain intact (head seq 4)'],
    ];
    for (const [name, summary] of sections) {
      expect(result.stdout).toContain(`\n${name.padEnd(11)}OK       ${summary}\n`);
    }
    expect(result.stdout).toMatch(/\nClock {6}OK\n/);
    expect(result.stdout).toContain('    offline now     depends on the cached token: unlock to see\n');
    expect(result.stdout).toMatch(/Result: healthy \(no problems\)\.\n$/);
  });

  it('--json: the report for scripts, with ISO times', async () => {
    const [id] = await seed();
    const { code, report } = await runJson();
    expect(code).toBe(0);
    expect(report).toMatchObject({
      version: 1,
      healthy: true,
      problemCount: 0,
      keychain: { service: SERVICE, reachable: true },
      database: { schemaVersion, integrity: 'ok' },
    });
    expect(report.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const account = report.accounts.accounts[0]!;
    expect(account).toMatchObject({
      id,
      displayName: 'Alice Example',
      sealedSession: true,
      offline: { decision: 'depends_on_token', endsWith: 'check_in_due' },
    });
    expect(new Date(account.checkInDueAt!).getTime() - new Date(account.lastCheckIn!).getTime()).toBe(7 * DAY_MS);
    expect(account.offline.holdsUntil).toBe(account.checkInDueAt);
  });

  it('a missing database is "no data yet": exit 0, and nothing is created', async () => {
    const result = await run(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Database   NOTE     ${install.dbFile} (no data yet)\n`);
    expect(existsSync(install.dataDir)).toBe(false);
  });

  it('an invalid policy: exit 1 with each field problem', async () => {
    await seed();
    install.writePolicy(policyDocument({ gracePeriodHours: -5, allowedAlgorithms: ['HS256'] }));
    const result = await run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `Policy     PROBLEM  invalid\n  PROBLEM policy_invalid: Policy ${install.policyFile} is invalid (2 problems):\n`,
    );
    expect(result.stdout).toMatch(/\n {4}allowedAlgorithms\[0\]: .*\n/);
    expect(result.stdout).toMatch(/\n {4}gracePeriodHours: .*\n/);
    expect(result.stdout).toContain('    offline now     DENIED (policy_invalid)\n');
    const { report } = await runJson();
    expect(report.policy.problems.map((p) => p.field).sort()).toEqual(['allowedAlgorithms[0]', 'gracePeriodHours']);
  });

  it('a database newer than this FieldKey: exit 1, database_too_new, the file untouched', async () => {
    await seed();
    const raw = new BetterSqlite3(install.dbFile);
    raw.pragma(`user_version = ${schemaVersion + 1}`);
    raw.close();
    const { code, report } = await runJson();
    expect(code).toBe(1);
    expect(problemCodes(report)).toEqual(['database_too_new']);
    const after = new BetterSqlite3(install.dbFile, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(schemaVersion + 1);
    after.close();
  });

  it('a damaged database file: exit 1, the integrity check’s errors', async () => {
    await seed();
    corruptIndexPage(install.dbFile);
    const result = await run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\n {2}integrity {9}failed\n {20}Tree \d+ page \d+/);
    expect(result.stdout).toContain('PROBLEM database_corrupt: The database');
  });

  it('a stale key set: exit 1, jwks_stale with its age', async () => {
    await seed({ jwksAgeMs: 9 * DAY_MS });
    const result = await run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\nJWKS {7}PROBLEM {2}issuer https:\/\/idp\.example\.test\n/);
    expect(result.stdout).toMatch(/PROBLEM jwks_stale: The key set of issuer "https:\/\/idp\.example\.test" was last fetched 9 d ago/);
    expect(result.stdout).toContain('Result: 1 problem(s) found: jwks_stale.');
  });

  it('a rolled-back clock: exit 1, clock_rollback for the clock and the account', async () => {
    const [id] = await seed({ highWaterOffsetMs: 3 * DAY_MS });
    const { code, report } = await runJson();
    expect(code).toBe(1);
    expect(report.problems.map((p) => [p.section, p.code, p.accountId])).toEqual([
      ['clock', 'clock_rollback', null],
      ['accounts', 'clock_rollback', id],
    ]);
    expect(report.clock).toMatchObject({ trusted: false, rollbackBecause: 'high_water' });
  });

  it('an overdue check-in: exit 1, check_in_overdue and when it was due', async () => {
    await seed({ accounts: [{ displayName: 'Bob', subject: 'bob', checkInAgeMs: 9 * DAY_MS }] });
    const result = await run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('    offline now     DENIED (check_in_overdue)\n');
    expect(result.stdout).toMatch(
      /PROBLEM check_in_overdue: The mandatory online check-in was due at \S+ \(every 7 days\)\. Connect to check in\./,
    );
  });

  it('a tampered audit chain: exit 1, audit_tampered naming the rows', async () => {
    await seed({ auditEvents: 6 });
    const raw = new BetterSqlite3(install.dbFile);
    raw.exec(`DROP TRIGGER audit_events_append_only_delete; DELETE FROM audit_events WHERE seq = 4;`);
    raw.close();
    const result = await run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'Audit log  PROBLEM  5 row(s), chain BROKEN (1 problem(s))\n  seq 4             deleted: row 4 is missing\n',
    );
  });

  it('an unreachable keychain (injected): exit 1 with the keychain’s message', async () => {
    await seed();
    const result = await run(
      [],
      createDoctorCommand({ secretStore: () => unreachableSecretStore('No OS keychain is reachable (test). Install gnome-keyring.') }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `Keychain   PROBLEM  service "${SERVICE}": not reachable\n  PROBLEM keychain_unavailable: No OS keychain is reachable (test). Install gnome-keyring.\n`,
    );
  });

  it('an unreachable keychain (the real executable, no D-Bus): exit 1 with what to install', async () => {
    await seed();
    const childEnv = { ...process.env, ...env(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(install.dir, 'no-such-bus')}` };
    await buildCliBundle();
    const outcome = await promisify(execFile)(process.execPath, [FIELDKEY_BIN, 'doctor', '--json'], {
      cwd: REPO,
      env: childEnv,
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(outcome.code).toBe(1);
    const report = JSON.parse(outcome.stdout) as DoctorReport;
    expect(report.keychain).toMatchObject({
      reachable: false,
      errorCode: 'keychain_unavailable',
      message: expect.stringMatching(/^No OS keychain is reachable.*Secret Service/),
    });
    expect(problemCodes(report)).toEqual(['keychain_unavailable']);
    expect(report.accounts.accounts[0]!.unlockAttempts).toMatchObject({ keychainMirrorRead: false });
  });

  it('bad arguments under --json: exit 2, a usage_error object on stdout', async () => {
    const bad = await run(['doctor', '--json', '--jsn']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('');
    expect(JSON.parse(bad.stdout)).toEqual({ error: { code: 'usage_error', message: expect.stringMatching(/Unknown option '--jsn'/) } });
  });

  it('states the PIN rule in the app’s words: characters, digits allowed', async () => {
    await seed();
    const result = await run(['doctor']);
    expect(result.stdout).toMatch(/PIN\s+at least 6 characters \(digits are fine\); 5 attempts/);
    expect(result.stdout).not.toMatch(/\d+ digits/);
  });

  it('bad arguments exit 2 with the usage; --help exits 0', async () => {
    const bad = await run(['doctor', '--jsn']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^fieldkey doctor: Unknown option '--jsn'.*\n\nusage: fieldkey doctor \[--json\]/s);
    expect(await run(['doctor', 'extra'])).toMatchObject({ code: 2 });
    const help = await run(['doctor', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: fieldkey doctor \[--json\] \[--bundle FILE\]\n/);
  });

  it('never prints a token, the PIN, a salt, the sealed bytes, the device key or key material', async () => {
    const exp = new Date(Math.floor((Date.now() + 3 * 3_600_000) / 1000) * 1000);
    const expiring = tokensExpiringAt(exp);
    const [id] = await seed({
      accounts: [
        { displayName: 'Alice Example', email: 'alice@example.com', subject: 'alice', checkInAgeMs: 2 * DAY_MS },
        { displayName: 'Fumbler', subject: 'fumbler', checkInAgeMs: DAY_MS, failures: 2 },
        // Its token's exp is stored in clear for doctor; the token itself must not appear.
        { displayName: 'Carol Expiring', subject: 'carol', checkInAgeMs: DAY_MS, tokens: expiring },
      ],
    });
    const raw = new BetterSqlite3(install.dbFile, { readonly: true });
    const rows = raw
      .prepare(`SELECT kdf_salt, device_key_id, seal_salt, nonce, verifier, ciphertext, row_mac FROM sealed_sessions`)
      .all() as Record<string, Buffer>[];
    raw.close();
    expect(rows).toHaveLength(3);
    const deviceKey = await secrets.get(deviceKeyEntry(id!));
    expect(deviceKey).toMatch(/^[A-Za-z0-9+/=_-]{40,}$/);

    const secretsToFind: string[] = [
      TOKENS.accessToken!,
      TOKENS.idToken!,
      TOKENS.refreshToken!,
      expiring.accessToken!,
      expiring.idToken!,
      expiring.refreshToken!,
      PIN,
      deviceKey!,
    ];
    for (const token of [TOKENS.accessToken!, TOKENS.idToken!, expiring.accessToken!, expiring.idToken!])
      secretsToFind.push(...token.split('.'));
    for (const row of rows) {
      for (const bytes of Object.values(row))
        secretsToFind.push(bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'));
    }
    for (const jwk of [keys.rsa, keys.ec, keys.old])
      for (const member of ['n', 'x', 'y'] as const) if (jwk[member]) secretsToFind.push(jwk[member]);

    const human = await run(['doctor']);
    const json = await run(['doctor', '--json']);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    expect(human.stdout).toContain('failed unlocks  2 (3 left)');
    expect(human.stdout).toContain('    offline now     FULL\n');
    expect(human.stdout).toContain('    based on        the last verified token (signature re-checked at unlock)\n');
    const carol = (JSON.parse(json.stdout) as DoctorReport).accounts.accounts.find((a) => a.displayName === 'Carol Expiring');
    expect(carol?.offline).toMatchObject({ decision: 'full', basis: 'last_verified_token', tokenExpiresAt: exp.toISOString() });
    for (const output of [human.stdout, human.stderr, json.stdout, json.stderr]) {
      for (const secret of secretsToFind) expect(output.includes(secret), `a secret of ${secret.length} characters appears`).toBe(false);
      expect(output).not.toMatch(/"(n|e|x|y|d|k)"\s*:/);
    }
  });
});
