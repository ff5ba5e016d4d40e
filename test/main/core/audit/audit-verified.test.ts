/**
 * The start-up check of the audit chain from the verified checkpoint (audit-verified.ts), on a real
 * SQLite file: a log keyed as the app keys it (row MACs, the head mirrored), then edited the way an
 * attacker would, with another connection and the guard triggers dropped. Each "start" is one
 * `checkAtStart` with the mirrored head, as AuthService runs it. The work is asserted as the rows the
 * check walked, never as time.
 */
import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash } from '../../../../src/main/core/audit/audit-hash';
import { unsignedRows } from '../../../../src/main/core/audit/audit-keying';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import type { AuditAnchor, StoredAuditRow } from '../../../../src/main/core/audit/audit-rows';
import { checkAtStart, readStartFailure, type StartCheck } from '../../../../src/main/core/audit/audit-verified';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { checkAudit } from '../../../../src/main/core/doctor/audit-check';
import { RecordMac } from '../../../../src/main/core/records/record-mac';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

let t: TempDatabase;
let clock: ReturnType<typeof movableClock>;
let mac: RecordMac;
let head: AuditAnchor | undefined;
let log: AuditLog;

beforeEach(() => {
  t = openTempDatabase();
  clock = movableClock('2026-06-02T08:00:00Z');
  mac = new RecordMac(randomBytes(32));
  head = undefined;
  log = new AuditLog(t.db, clock);
  log.keyWith(mac, { record: (h) => (head = h) });
});
afterEach(() => t.cleanup());

function append(n: number): void {
  for (let i = 0; i < n; i++) {
    log.append('unlock_ok', { account: 'https://idp|alice', details: { access: 'full', failedAttempts: i % 3 } });
    clock.advance(60_000);
  }
}

/** One app start's check, with the key and the head the keychain holds. */
function start(options: { newKey?: boolean } = {}): StartCheck {
  return checkAtStart(t.db, { mac, head, ...options }, clock.now());
}

function checkpoint(): { seq: number; hash: string } | undefined {
  return t.db.prepare('SELECT seq, hash FROM audit_verified WHERE id = 1').get() as { seq: number; hash: string } | undefined;
}

function row(seq: number): StoredAuditRow {
  return t.db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(seq) as StoredAuditRow;
}

/** Edits the file from another connection, the guard triggers dropped first. */
function tamper(sql: string, ...params: unknown[]): void {
  const raw = new BetterSqlite3(t.file);
  try {
    for (const { name } of raw.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all())
      raw.exec(`DROP TRIGGER "${name}"`);
    raw.prepare(sql).run(...params);
  } finally {
    raw.close();
  }
}

/** Rewrites row `from`'s details and recomputes every hash after it, so the chain links again. */
function recomputeFrom(from: number, { clearMacs = false } = {}): void {
  const raw = new BetterSqlite3(t.file);
  try {
    raw.exec('DROP TRIGGER IF EXISTS audit_events_append_only_update');
    const rows = raw.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(from) as StoredAuditRow[];
    let prev = rows[0]!.prev_hash;
    for (const r of rows) {
      const details = r.seq === from ? '{"access":"read-only","failedAttempts":0}' : r.details;
      const hash = auditHash(r.seq, { ...r, details, prev_hash: prev });
      raw
        .prepare(`UPDATE audit_events SET details = ?, prev_hash = ?, hash = ?${clearMacs ? ', mac = NULL' : ''} WHERE seq = ?`)
        .run(details, prev, hash, r.seq);
      prev = hash;
    }
  } finally {
    raw.close();
  }
}

const outcome = (check: StartCheck) =>
  check.outcome === 'skipped'
    ? { outcome: check.outcome, reason: check.reason }
    : check.result.ok
      ? { outcome: check.outcome, start: check.start, from: check.result.from, rowsRead: check.result.rowsRead }
      : {
          outcome: check.outcome,
          start: check.start,
          from: check.result.from,
          seq: check.result.problem.seq,
          problem: check.result.problem.problem,
        };

describe('the start-up check of the audit chain', () => {
  it('checks the whole chain once when there is no checkpoint, then only the rows since the last start', () => {
    append(20);
    expect(checkpoint()).toBeUndefined();
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'no_checkpoint', from: 0, rowsRead: 20 });
    expect(checkpoint()).toEqual({ seq: 20, hash: row(20).hash });

    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 20, rowsRead: 0 });
    append(3);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 20, rowsRead: 3 });
    expect(checkpoint()).toEqual({ seq: 23, hash: row(23).hash });
  });

  it('reports rows appended after the checkpoint and then edited once, keeps the first problem, and checks the rows after it', () => {
    append(10);
    start();
    append(5);
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}' WHERE seq = 13`);

    expect(outcome(start())).toEqual({ outcome: 'failed', start: 'checkpoint', from: 10, seq: 13, problem: 'edited' });
    expect(readStartFailure(t.db)).toMatchObject({ seq: 13, problem: 'edited', fromSeq: 10, seenAt: clock.now() });
    // The damage is on record: the checkpoint moves past it, so the next start does not repeat it.
    expect(checkpoint()).toEqual({ seq: 15, hash: row(15).hash });

    const doctor = checkAudit(t.db, undefined, { mac, head });
    expect(doctor.findings.find((f) => f.code === 'audit_start_check_failed')?.message).toMatch(
      /^The audit log was tampered with: FieldKey's start-up check of the audit chain \(from seq 10, .*\) found seq 13 edited: the row no longer matches its hash\./,
    );

    append(2); // the app goes on (it appends its audit_tamper_detected event here)
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 15, rowsRead: 2 });

    // A second tampering later is found as well; the first problem stays the one stored.
    append(2);
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":1}' WHERE seq = 18`);
    expect(outcome(start())).toEqual({ outcome: 'failed', start: 'checkpoint', from: 17, seq: 18, problem: 'edited' });
    expect(readStartFailure(t.db)).toMatchObject({ seq: 13, problem: 'edited', fromSeq: 10 });
  });

  it('reports a deleted row after the checkpoint', () => {
    append(10);
    start();
    append(5);
    tamper('DELETE FROM audit_events WHERE seq = 12');
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 12, problem: 'deleted' });
  });

  it('reports a chain recomputed after an edit: by the row MAC, or by the mirrored head when the MACs were cleared too', () => {
    append(10);
    start();
    append(5);
    recomputeFrom(12);
    expect(verifyChain(t.db)).toMatchObject({ ok: true }); // the chain alone cannot see it
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 12, problem: 'edited' });

    tamper('DELETE FROM audit_start_failure');
    recomputeFrom(12, { clearMacs: true });
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 15, problem: 'edited' });
    expect(readStartFailure(t.db)?.detail).toMatch(/head kept in the keychain/);
  });

  it('reports a chain recomputed from before the checkpoint: the row at the checkpoint has another hash', () => {
    append(10);
    start();
    append(5);
    recomputeFrom(4, { clearMacs: true });
    expect(outcome(start())).toMatchObject({ outcome: 'failed', from: 10, seq: 10, problem: 'edited' });
  });

  it('reports truncation: the newest rows removed, and rows removed down to before the checkpoint', () => {
    append(10);
    start();
    append(5);
    tamper('DELETE FROM audit_events WHERE seq > 13');
    expect(verifyChain(t.db)).toMatchObject({ ok: true }); // the chain alone cannot see it
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 15, problem: 'deleted' });

    tamper('DELETE FROM audit_start_failure');
    tamper('DELETE FROM audit_events WHERE seq > 7');
    // The checkpoint moved to the newest row left (13) with the first report: that row is gone now.
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 13, problem: 'deleted' });
  });

  it('checks from the anchor once when the checkpoint row is missing or its MAC does not match', () => {
    append(10);
    start();
    append(5);
    tamper(`UPDATE audit_verified SET verified_at = verified_at + 1`);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'untrusted_checkpoint', from: 0, rowsRead: 15 });
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 15, rowsRead: 0 });

    tamper('DELETE FROM audit_verified');
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'no_checkpoint', from: 0, rowsRead: 15 });
  });

  it('sees an edit hidden behind a checkpoint moved forward without the key', () => {
    append(10);
    start();
    append(5);
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}' WHERE seq = 12`);
    tamper('UPDATE audit_verified SET seq = 15, hash = ?', row(15).hash);
    expect(outcome(start())).toEqual({ outcome: 'failed', start: 'untrusted_checkpoint', from: 0, seq: 12, problem: 'edited' });
  });

  it('does not see an edit at or before the checkpoint; audit verify does', () => {
    append(10);
    start();
    append(5);
    // Row 4 changed, its hash not recomputed: the chain up to the checkpoint is not read again.
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}' WHERE seq = 4`);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 10, rowsRead: 5 });
    expect(verifyChain(t.db, { mac, head })).toMatchObject({
      ok: false,
      problems: [expect.objectContaining({ seq: 4, problem: 'edited' })],
    });
  });

  it('keeps verifying when retention moved the anchor past the checkpoint', () => {
    append(10);
    start();
    append(30);
    expect(log.prune({ auditRetentionRows: 5 })).toMatchObject({ pruned: 35, anchor: { seq: 35 } });
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 35, rowsRead: 5 });
    expect(checkpoint()).toEqual({ seq: 40, hash: row(40).hash });
    // and when it moved exactly to the checkpoint, or everything was removed
    log.prune({ auditRetentionDays: 1 });
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 40, rowsRead: 0 });
    append(2);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 40, rowsRead: 2 });
  });

  it('reports a row slipped in at or before the anchor', () => {
    append(10);
    log.prune({ auditRetentionRows: 5 });
    start();
    const r = row(6);
    tamper(
      'INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (3, ?, ?, ?, ?, ?, ?, ?)',
      r.type,
      r.account,
      r.at_local,
      r.at_trusted,
      r.details,
      r.prev_hash,
      r.hash,
    );
    expect(outcome(start())).toMatchObject({ outcome: 'failed', seq: 3, problem: 'inserted' });
  });

  it('ignores a failure row it did not write, and checks', () => {
    append(4);
    start();
    tamper(
      `INSERT INTO audit_start_failure (id, seq, problem, detail, from_seq, seen_at, mac) VALUES (1, 2, 'edited', 'forged', 0, 0, x'00')`,
    );
    append(1);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 4, rowsRead: 1 });
  });

  it('does not judge row MACs under a key created at this start, and checks nothing without a key', () => {
    append(5);
    const lost = mac;
    mac = new RecordMac(randomBytes(32)); // the keychain lost the key: a new one was made
    expect(outcome(start({ newKey: true }))).toEqual({ outcome: 'verified', start: 'no_checkpoint', from: 0, rowsRead: 5 });
    expect(lost).not.toBe(mac);
    expect(checkAtStart(t.db, { mac: undefined, head }, clock.now())).toEqual({ outcome: 'skipped', reason: 'no_key' });
  });

  it('checks a clean log of 100,000 rows with a current checkpoint by reading only the rows since', () => {
    t.db.transaction(() => append(100_000))();
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'no_checkpoint', from: 0, rowsRead: 100_000 });
    append(7);
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 100_000, rowsRead: 7 });
    expect(checkpoint()?.seq).toBe(100_007);
  }, 60_000);
});

describe('the log changed while the app runs', () => {
  it('truncated: the next append records audit_tamper_detected first and stores the problem; the next start is clean', () => {
    const heard: unknown[] = [];
    log.keyWith(mac, { record: (h) => (head = h) }, { onRewritten: (problem) => heard.push(problem) });
    append(10);
    start();
    append(3);
    tamper('DELETE FROM audit_events WHERE seq > 11');

    append(1);
    const types = t.db.prepare('SELECT seq, type, details FROM audit_events WHERE seq > 11 ORDER BY seq').all();
    expect(types).toEqual([
      { seq: 12, type: 'audit_tamper_detected', details: '{"fromSeq":13,"problem":"deleted","seq":13}' },
      { seq: 13, type: 'unlock_ok', details: expect.any(String) },
    ]);
    expect(heard).toEqual([expect.objectContaining({ seq: 13, problem: 'deleted' })]);
    expect(readStartFailure(t.db)).toMatchObject({ seq: 13, problem: 'deleted', fromSeq: 13 });
    expect(outcome(start())).toEqual({ outcome: 'verified', start: 'checkpoint', from: 11, rowsRead: 2 });

    append(1); // reported once: no second event
    expect(t.db.prepare(`SELECT count(*) AS n FROM audit_events WHERE type = 'audit_tamper_detected'`).get()).toEqual({ n: 1 });
  });

  it('the newest row rewritten: edited', () => {
    append(4);
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}', hash = ? WHERE seq = 4`, 'f'.repeat(64));
    append(1);
    expect(readStartFailure(t.db)).toMatchObject({ seq: 4, problem: 'edited' });
    expect(row(5).type).toBe('audit_tamper_detected');
  });

  it('rows another writer appended after the head are not a rewrite', () => {
    append(3);
    new AuditLog(t.db, clock).append('sign_out', { details: { reason: 'user', revocationQueued: false } });
    append(1);
    expect(t.db.prepare(`SELECT count(*) AS n FROM audit_events WHERE type = 'audit_tamper_detected'`).get()).toEqual({ n: 0 });
    expect(readStartFailure(t.db)).toBeUndefined();
  });
});

describe('the start of the log kept in the keychain (the retention allowance)', () => {
  let allowed: AuditAnchor | undefined;
  const allowances: AuditAnchor[] = [];
  beforeEach(() => {
    allowed = undefined;
    allowances.length = 0;
    log.keyWith(
      mac,
      { record: (h) => (head = h) },
      {
        allowRetention: async (target) => {
          allowances.push(target);
          allowed = target;
        },
      },
    );
  });
  const startWithAllowance = () => checkAtStart(t.db, { mac, head, allowedAnchor: allowed }, clock.now());

  it('retention records how far it will move the anchor before it does, and never goes past it', async () => {
    append(20);
    expect(await log.applyRetention({ auditRetentionRows: 5 })).toMatchObject({ pruned: 15, anchor: { seq: 15 } });
    expect(allowances).toEqual([{ seq: 15, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(t.db.prepare('SELECT seq, hash FROM audit_anchor').get()).toEqual(allowed);
    expect(await log.applyRetention({ auditRetentionRows: 5 })).toMatchObject({ pruned: 0 });
    expect(allowances).toHaveLength(1); // nothing to remove: nothing asked
    expect(outcome(startWithAllowance())).toMatchObject({ outcome: 'verified' });
  });

  it('a keychain that refuses the allowance: nothing is removed', async () => {
    log.keyWith(mac, { record: (h) => (head = h) }, { allowRetention: () => Promise.reject(new Error('keychain_unavailable')) });
    append(10);
    await expect(log.applyRetention({ auditRetentionRows: 2 })).rejects.toThrow('keychain_unavailable');
    expect(t.db.prepare('SELECT count(*) AS n FROM audit_events').get()).toEqual({ n: 10 });
  });

  it('rows removed from the start and the anchor moved onto the first kept row: deleted, at start and in audit verify', async () => {
    append(20);
    await log.applyRetention({ auditRetentionRows: 15 }); // the anchor at 5, allowed
    start();
    const keep = row(12);
    tamper('DELETE FROM audit_events WHERE seq <= 11');
    tamper('UPDATE audit_anchor SET seq = 11, hash = ?', keep.prev_hash);
    expect(verifyChain(t.db).ok).toBe(true); // the chain alone cannot see it
    expect(outcome(startWithAllowance())).toMatchObject({ outcome: 'failed', seq: 11, problem: 'deleted' });
    expect(verifyChain(t.db, { mac, head, allowedAnchor: allowed })).toMatchObject({
      ok: false,
      problems: [expect.objectContaining({ seq: 11, problem: 'deleted', detail: expect.stringMatching(/only removed rows up to seq 5/) })],
    });
  });

  it('the whole log removed and the anchor set to the head: deleted', async () => {
    append(8);
    await log.applyRetention({ auditRetentionRows: 6 });
    start();
    const last = row(8);
    tamper('DELETE FROM audit_events');
    tamper('UPDATE audit_anchor SET seq = 8, hash = ?', last.hash);
    expect(outcome(startWithAllowance())).toMatchObject({ outcome: 'failed', seq: 8, problem: 'deleted' });
  });

  it('an interrupted retention (allowance written, rows not yet removed) is not a problem', async () => {
    append(10);
    allowed = { seq: 6, hash: row(6).hash };
    expect(outcome(startWithAllowance())).toMatchObject({ outcome: 'verified' });
    expect(verifyChain(t.db, { mac, head, allowedAnchor: allowed }).ok).toBe(true);
  });
});

describe('rows without a MAC', () => {
  it('after signed ones they are counted for IT (a doctor note), not judged; a log never keyed has none to count', () => {
    expect(unsignedRows(t.db)).toBeUndefined();
    const unkeyed = new AuditLog(t.db, clock);
    unkeyed.append('sign_out', { details: { reason: 'user', revocationQueued: false } });
    expect(unsignedRows(t.db)).toBeUndefined(); // written before the log was keyed
    append(3);
    unkeyed.append('sign_out', { details: { reason: 'user', revocationQueued: false } });
    unkeyed.append('sign_out', { details: { reason: 'user', revocationQueued: false } });
    expect(unsignedRows(t.db)).toEqual({ rows: 2, firstSeq: 5 });
    const doctor = checkAudit(t.db, undefined, { mac, head });
    expect(doctor.findings).toContainEqual(
      expect.objectContaining({
        severity: 'note',
        code: 'audit_rows_unsigned',
        message: expect.stringMatching(/^2 row\(s\) of the audit log from seq 5 on carry no MAC/),
      }),
    );
  });
});
