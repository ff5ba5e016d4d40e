import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli-run';
import { AuditLog } from '../../../src/main/core/audit/audit-log';
import { main } from '../../../src/main/cli/index';
import { AuditHeadMirror, readAuditKeys } from '../../../src/main/core/audit/audit-keying';
import { checkAtStart } from '../../../src/main/core/audit/audit-verified';
import { createKeytarSecretStore } from '../../../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase } from '../../../src/main/adapters/sqlite/database';
import { schemaVersion } from '../../../src/main/core/records/schema';
import { openRecordMac } from '../../../src/main/core/records/record-mac';
import { uniqueService } from '../core/secrets/vault-fixtures';
import { movableClock, tempDir } from '../../helpers/temp-database';
import { demoIdpPolicy, writePolicyFile } from '../../helpers/test-policy';

let dir: string;
let cleanup: () => void;
let file: string;

/** A keychain service of this test file's own, so verify never reads another install's keychain. */
const service = uniqueService('audit-cli');

/** A policy without a Field API, so verify checks the laptop alone (the checkpoint look: test/main/core/sync/audit-anchoring.integration.test.ts). */
const policyFile = (): string => join(dir, 'policy.json');

function run(
  args: string[],
  env: Record<string, string | undefined> = { FIELDKEY_DATA_DIR: dir, FIELDKEY_KEYCHAIN_SERVICE: service, FIELDKEY_POLICY: policyFile() },
): Promise<CliRun> {
  return runCli(main, args, { env });
}

/** Writes four events, one per hour from 2025-03-01T08:00Z, with the app's own code. */
function seed(): void {
  const db = openDatabase(file);
  const clock = movableClock('2025-03-01T08:00:00Z');
  const log = new AuditLog(db, clock);
  log.append('sign_in', { account: 'https://idp|alice', details: { issuer: 'https://idp', reason: 'first, online' } });
  clock.advance(3_600_000);
  log.append('unlock_failed', { account: 'https://idp|alice', details: { failedAttempts: 1, remainingAttempts: 4 } });
  clock.advance(3_600_000);
  log.append('unlock_ok', { account: 'https://idp|alice', details: { access: 'full' } });
  clock.advance(3_600_000);
  log.append('sign_out', { account: 'https://idp|alice', details: { reason: 'user "done"' } });
  db.close();
}

/** Like `seed`, with the log keyed as the app keys it: row MACs and the head mirrored in the keychain. */
async function seedKeyed(): Promise<void> {
  const db = openDatabase(file);
  const secrets = createKeytarSecretStore({ service });
  const log = new AuditLog(db, movableClock('2025-03-01T08:00:00Z'));
  const mirror = new AuditHeadMirror(secrets, (error) => {
    throw error;
  });
  log.keyWith((await openRecordMac(secrets)).mac, mirror);
  for (let i = 0; i < 4; i++) log.append('unlock_ok', { account: 'https://idp|alice', details: { access: 'full' } });
  await mirror.settle();
  db.close();
}

function tamper(sql: string): void {
  const raw = new BetterSqlite3(file);
  raw.exec(`DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_append_only_delete;`);
  raw.exec(sql);
  raw.close();
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir('fieldkey-audit-cli-'));
  file = join(dir, 'fieldkey.db');
  writePolicyFile(policyFile(), demoIdpPolicy({ issuer: 'http://127.0.0.1:9011', clientId: 'fieldkey-desktop' }, 60));
});
afterEach(async () => {
  const secrets = createKeytarSecretStore({ service });
  for (const entry of await secrets.list()) await secrets.delete(entry);
  cleanup();
});

describe('fieldkey audit verify', () => {
  it('exits 0 on an intact log and names the head', async () => {
    seed();
    const result = await run(['audit', 'verify']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^audit log intact: 4 row\(s\) \(seq 1\.\.4\)\.\nhead: seq 4, hash [0-9a-f]{64}\n$/);
  });

  it('with the keychain: names the mirrored head, and exits 1 on a log whose newest rows were removed', async () => {
    await seedKeyed();
    const intact = await run(['audit', 'verify']);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    expect(intact.stdout).toContain('the head kept in the keychain (seq 4) matches.');

    tamper('DELETE FROM audit_events WHERE seq > 2;');
    const truncated = await run(['audit', 'verify']);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toBe(
      'audit log TAMPERED: 1 problem(s) in 2 row(s):\n' +
        '  seq 4: deleted (the log ends at seq 2, but the keychain holds a head at seq 4: the newest rows were removed)\n',
    );
  });

  it("exits 1 on the failure the app's start-up check stored, named by its code", async () => {
    const startCheck = async () => {
      const db = openDatabase(file);
      const keys = await readAuditKeys(createKeytarSecretStore({ service }));
      checkAtStart(db, { mac: keys.mac, head: keys.head }, new Date('2025-03-02T08:00:00Z'));
      db.close();
    };
    await seedKeyed();
    await startCheck(); // the checkpoint at seq 4
    const db = openDatabase(file);
    const log = new AuditLog(db, movableClock('2025-03-01T12:00:00Z'));
    log.keyWith((await openRecordMac(createKeytarSecretStore({ service }))).mac, { record: () => undefined });
    log.append('unlock_ok', { account: 'https://idp|alice', details: { access: 'full' } });
    db.close();
    tamper(`UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 5`);
    await startCheck();

    const result = await run(['audit', 'verify', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      rows: 5,
      problems: [
        { seq: 5, problem: 'edited', detail: 'the row no longer matches its hash' },
        {
          seq: 5,
          problem: 'edited',
          detail:
            "audit_start_check_failed: FieldKey's start-up check of the audit chain (from seq 4, 2025-03-02T08:00:00.000Z) found seq 5 edited: the row no longer matches its hash",
        },
      ],
    });
  });

  it('exits 0 on an empty log', async () => {
    openDatabase(file).close();
    expect(await run(['audit', 'verify'])).toMatchObject({ code: 0, stdout: 'audit log intact: 0 row(s) (empty).\n' });
  });

  it('exits 1 on a tampered log and lists the problems', async () => {
    seed();
    tamper(`UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 3; DELETE FROM audit_events WHERE seq = 2;`);
    const result = await run(['audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'audit log TAMPERED: 2 problem(s) in 3 row(s):\n' +
        '  seq 2: deleted (row 2 is missing)\n' +
        '  seq 3: edited (the row no longer matches its hash)\n',
    );
  });

  it('prints JSON with --json', async () => {
    seed();
    tamper(`UPDATE audit_events SET account = 'https://idp|mallory' WHERE seq = 1`);
    const result = await run(['audit', 'verify', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      rows: 4,
      problems: [{ seq: 1, problem: 'edited', detail: 'the row no longer matches its hash' }],
    });
  });

  it('never changes the database file', async () => {
    seed();
    const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = digest();
    await run(['audit', 'verify']);
    await run(['audit', 'export']);
    expect(digest()).toBe(before);
  });

  it.each([
    ['no database', () => {}, /no FieldKey database at .*fieldkey\.db/],
    [
      'a database newer than this FieldKey',
      () => {
        const raw = new BetterSqlite3(file);
        raw.pragma(`user_version = ${schemaVersion + 5}`);
        raw.close();
      },
      /newer than this FieldKey/,
    ],
    [
      'a database without the audit tables',
      () => {
        const raw = new BetterSqlite3(file);
        raw.exec('CREATE TABLE other (x INTEGER)');
        raw.close();
      },
      /no audit log yet/,
    ],
    [
      'a file that is not a database',
      () => {
        writeFileSync(file, 'this is not sqlite, just text padding '.repeat(200));
      },
      /./,
    ],
  ])('exits 2 with %s', async (_name, prepare, message) => {
    prepare();
    const result = await run(['audit', 'verify']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['no database', () => {}, 'database_missing', /no FieldKey database at .*fieldkey\.db/],
    [
      'a database newer than this FieldKey',
      () => {
        const raw = new BetterSqlite3(file);
        raw.pragma(`user_version = ${schemaVersion + 5}`);
        raw.close();
      },
      'database_too_new',
      /newer than this FieldKey/,
    ],
    [
      'a database without the audit tables',
      () => {
        const raw = new BetterSqlite3(file);
        raw.exec('CREATE TABLE other (x INTEGER)');
        raw.close();
      },
      'audit_log_missing',
      /no audit log yet/,
    ],
  ])('--json with %s: exit 2, { error: { code: %s, message } } on stdout', async (_name, prepare, code, message) => {
    prepare();
    const result = await run(['audit', 'verify', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ error: { code, message: expect.stringMatching(message) } });
  });

  it('--json with a bad option: a usage_error object', async () => {
    const result = await run(['audit', 'verify', '--json', '--all']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'usage_error', message: "unknown option '--all' for verify" } });
  });

  it('--help names the exit codes of export and verify', async () => {
    const result = await run(['audit', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Exit status: export 0 written, 2 cannot run');
    expect(result.stdout).toContain('verify 0 intact, 1 tampered, 2 cannot run');
  });
});

describe('fieldkey audit export', () => {
  it('writes JSON Lines by default', async () => {
    seed();
    const result = await run(['audit', 'export']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => [e.seq, e.type, e.atLocal])).toEqual([
      [1, 'sign_in', '2025-03-01T08:00:00.000Z'],
      [2, 'unlock_failed', '2025-03-01T09:00:00.000Z'],
      [3, 'unlock_ok', '2025-03-01T10:00:00.000Z'],
      [4, 'sign_out', '2025-03-01T11:00:00.000Z'],
    ]);
    expect(events[0]).toMatchObject({
      account: 'https://idp|alice',
      atTrusted: null,
      details: { issuer: 'https://idp', reason: 'first, online' },
    });
    expect(events[1].prevHash).toBe(events[0].hash);
  });

  it('writes CSV with --format csv, quoted where needed', async () => {
    seed();
    const result = await run(['audit', 'export', '--format', 'csv']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe('seq,type,account,atLocal,atTrusted,details,prevHash,hash');
    expect(lines[1]).toMatch(
      /^1,sign_in,https:\/\/idp\|alice,2025-03-01T08:00:00\.000Z,,"\{""issuer"":""https:\/\/idp"",""reason"":""first, online""\}",0{64},[0-9a-f]{64}$/,
    );
    expect(lines[4]).toContain(',"{""reason"":""user \\""done\\""""}",');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('');
  });

  it.each([
    [
      ['--since', '2025-03-01T09:30:00Z'],
      [3, 4],
    ],
    [['--since=2025-03-01T10:00:00Z'], [3, 4]],
    [
      ['--since', '2025-03-01T11:00:00+01:00'],
      [3, 4],
    ],
    [['--since', '2025-03-02'], []],
    [
      ['--since', '2025-03-01', '--format', 'jsonl'],
      [1, 2, 3, 4],
    ],
  ])('filters with %j', async (args, seqs) => {
    seed();
    const result = await run(['audit', 'export', ...args]);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).seq),
    ).toEqual(seqs);
  });

  it('combines --since with csv', async () => {
    seed();
    const result = await run(['audit', 'export', '--format=csv', '--since', '2025-03-01T11:00:00Z']);
    expect(
      result.stdout
        .split('\r\n')
        .filter(Boolean)
        .map((l) => l.split(',')[0]),
    ).toEqual(['seq', '4']);
  });
});

describe('fieldkey audit usage', () => {
  it.each([
    [['audit']],
    [['audit', 'shred']],
    [['audit', 'export', '--format', 'xml']],
    [['audit', 'export', '--since', 'yesterday']],
    [['audit', 'export', '--since']],
    [['audit', 'export', '--limit', '3']],
    [['audit', 'verify', '--fix']],
  ])('exits 2 for %j', async (args) => {
    seed();
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/usage: fieldkey audit/);
  });

  it('prints help with exit 0, and is listed in the top-level usage', async () => {
    expect(await run(['audit', '--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: fieldkey audit export/) });
    expect((await run(['--help'])).stdout).toMatch(/fieldkey audit export\|verify/);
  });
});
