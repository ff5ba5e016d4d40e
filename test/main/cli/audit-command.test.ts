import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli-run';
import { AuditLog } from '../../../src/main/core/audit/audit-log';
import { main } from '../../../src/main/cli/index';
import { openDatabase, schemaVersion } from '../../../src/main/adapters/sqlite/database';
import { movableClock, tempDir } from '../../helpers/temp-database';

let dir: string;
let cleanup: () => void;
let file: string;

function run(args: string[], env: Record<string, string | undefined> = { FIELDKEY_DATA_DIR: dir }): Promise<CliRun> {
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

function tamper(sql: string): void {
  const raw = new BetterSqlite3(file);
  raw.exec(`DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_append_only_delete;`);
  raw.exec(sql);
  raw.close();
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir('fieldkey-audit-cli-'));
  file = join(dir, 'fieldkey.db');
});
afterEach(() => cleanup());

describe('fieldkey audit verify', () => {
  it('exits 0 on an intact log and names the head', async () => {
    seed();
    const result = await run(['audit', 'verify']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^audit log intact: 4 row\(s\) \(seq 1\.\.4\)\.\nhead: seq 4, hash [0-9a-f]{64}\n$/);
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
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, rows: 4, problems: [{ seq: 1, problem: 'edited', detail: 'the row no longer matches its hash' }] });
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
});

describe('fieldkey audit export', () => {
  it('writes JSON Lines by default', async () => {
    seed();
    const result = await run(['audit', 'export']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const events = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => [e.seq, e.type, e.atLocal])).toEqual([
      [1, 'sign_in', '2025-03-01T08:00:00.000Z'],
      [2, 'unlock_failed', '2025-03-01T09:00:00.000Z'],
      [3, 'unlock_ok', '2025-03-01T10:00:00.000Z'],
      [4, 'sign_out', '2025-03-01T11:00:00.000Z'],
    ]);
    expect(events[0]).toMatchObject({ account: 'https://idp|alice', atTrusted: null, details: { issuer: 'https://idp', reason: 'first, online' } });
    expect(events[1].prevHash).toBe(events[0].hash);
  });

  it('writes CSV with --format csv, quoted where needed', async () => {
    seed();
    const result = await run(['audit', 'export', '--format', 'csv']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe('seq,type,account,atLocal,atTrusted,details,prevHash,hash');
    expect(lines[1]).toMatch(/^1,sign_in,https:\/\/idp\|alice,2025-03-01T08:00:00\.000Z,,"\{""issuer"":""https:\/\/idp"",""reason"":""first, online""\}",0{64},[0-9a-f]{64}$/);
    expect(lines[4]).toContain(',"{""reason"":""user \\""done\\""""}",');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('');
  });

  it.each([
    [['--since', '2025-03-01T09:30:00Z'], [3, 4]],
    [['--since=2025-03-01T10:00:00Z'], [3, 4]],
    [['--since', '2025-03-01T11:00:00+01:00'], [3, 4]],
    [['--since', '2025-03-02'], []],
    [['--since', '2025-03-01', '--format', 'jsonl'], [1, 2, 3, 4]],
  ])('filters with %j', async (args, seqs) => {
    seed();
    const result = await run(['audit', 'export', ...args]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line).seq)).toEqual(seqs);
  });

  it('combines --since with csv', async () => {
    seed();
    const result = await run(['audit', 'export', '--format=csv', '--since', '2025-03-01T11:00:00Z']);
    expect(result.stdout.split('\r\n').filter(Boolean).map((l) => l.split(',')[0])).toEqual(['seq', '4']);
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
