import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH } from '../../../../src/main/core/audit/audit-hash';
import { AUDIT_EVENT_TYPES } from '../../../../src/main/core/audit/audit-events';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';
import { ALLOWED_DETAILS, SECRET_VALUES } from './audit-fixtures';

let t: TempDatabase;
let clock: ReturnType<typeof movableClock>;
let log: AuditLog;

beforeEach(() => {
  t = openTempDatabase();
  clock = movableClock('2025-03-01T10:00:00Z');
  log = new AuditLog(t.db, clock);
});
afterEach(() => t.cleanup());

const ACCOUNT = 'https://idp.example.com|alice';
const rowCount = () => (t.db.prepare(`SELECT count(*) AS n FROM audit_events`).get() as { n: number }).n;

function appendMany(n: number, stepMs = 60_000): void {
  for (let i = 0; i < n; i++) {
    log.append(i % 2 ? 'unlock_ok' : 'unlock_failed', {
      account: ACCOUNT,
      details: i % 2 ? { access: 'full' } : { failedAttempts: 1, remainingAttempts: 4 },
    });
    clock.advance(stepMs);
  }
}

describe('append', () => {
  it('chains rows from the genesis hash, with local and trusted time', () => {
    const first = log.append('sign_in', { account: ACCOUNT, details: { issuer: 'https://idp.example.com', reason: 'first' } });
    expect(first).toMatchObject({
      seq: 1,
      type: 'sign_in',
      account: ACCOUNT,
      atLocal: new Date('2025-03-01T10:00:00Z'),
      atTrusted: null,
      prevHash: GENESIS_HASH,
    });

    new TimeRecords(t.db).recordServerTime(new Date('2025-03-01T10:00:30Z'), new Date('2025-03-01T10:00:00Z'), 'http-date');
    clock.advance(60_000);
    const second = log.append('refresh', { account: ACCOUNT, details: { rotated: true } });
    expect(second).toMatchObject({
      seq: 2,
      prevHash: first.hash,
      atLocal: new Date('2025-03-01T10:01:00Z'),
      atTrusted: new Date('2025-03-01T10:01:30Z'),
    });

    const stored = t.db.prepare(`SELECT * FROM audit_events WHERE seq = 2`).get() as Parameters<typeof auditHash>[1] & { hash: string };
    expect(stored.details).toBe('{"rotated":true}');
    expect(auditHash(2, stored)).toBe(second.hash);
    expect(verifyChain(t.db)).toEqual({ ok: true, rows: 2, anchor: { seq: 0, hash: GENESIS_HASH }, head: { seq: 2, hash: second.hash } });
  });

  it('stores the allowed details of every event type, and refuses a secret in any of them without writing', () => {
    for (const type of AUDIT_EVENT_TYPES) {
      for (const secret of SECRET_VALUES) {
        const name = Object.keys(ALLOWED_DETAILS[type])[0]!;
        expect(() => log.append(type, { details: { ...ALLOWED_DETAILS[type], [name]: secret } })).toThrow(
          expect.objectContaining({ code: 'audit_details_rejected' }),
        );
        expect(() => log.append(type, { details: { ...ALLOWED_DETAILS[type], refreshToken: 'x' } })).toThrow(
          expect.objectContaining({ code: 'audit_details_rejected' }),
        );
      }
      expect(rowCount()).toBe(AUDIT_EVENT_TYPES.indexOf(type));
      const event = log.append(type, { account: ACCOUNT, details: ALLOWED_DETAILS[type] });
      const [back] = [...log.events()].filter((e) => e.seq === event.seq);
      expect(back!.details).toEqual(event.details);
      expect(back!.type).toBe(type);
    }
    const everything = JSON.stringify(t.db.prepare(`SELECT * FROM audit_events`).all());
    for (const secret of SECRET_VALUES) expect(everything).not.toContain(secret);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: AUDIT_EVENT_TYPES.length });
  });

  it('continues the chain after reopening the file', () => {
    appendMany(3);
    t.db.close();
    const db = openDatabase(t.file);
    try {
      const event = new AuditLog(db, clock).append('sign_out', { details: { reason: 'user' } });
      expect(event.seq).toBe(4);
      expect(verifyChain(db)).toMatchObject({ ok: true, rows: 4 });
    } finally {
      db.close();
    }
  });

  it('events() filters on device time', () => {
    appendMany(5); // 10:00 .. 10:04
    expect([...log.events({ since: new Date('2025-03-01T10:03:00Z') })].map((e) => e.seq)).toEqual([4, 5]);
    expect([...log.events()].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('triggers stop accidents', () => {
  it.each([
    ['an update', `UPDATE audit_events SET details = '{}' WHERE seq = 2`, /append-only/],
    ['a delete', `DELETE FROM audit_events WHERE seq = 2`, /deleted only by retention/],
    [
      'an insert out of order',
      `INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (2, 'sign_in', NULL, 0, NULL, '{}', 'x', 'y')`,
      /next seq only/,
    ],
    [
      'an insert with a gap',
      `INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (9, 'sign_in', NULL, 0, NULL, '{}', 'x', 'y')`,
      /next seq only/,
    ],
    [
      'an insert without seq',
      `INSERT INTO audit_events (type, at_local, details, prev_hash, hash) VALUES ('sign_in', 0, '{}', 'x', 'y')`,
      /next seq only/,
    ],
    ['moving the anchor back', `UPDATE audit_anchor SET seq = -1`, /./],
    ['deleting the anchor', `DELETE FROM audit_anchor`, /cannot be deleted/],
    ['a second anchor', `INSERT INTO audit_anchor (id, seq, hash) VALUES (2, 0, 'x')`, /exactly one row/],
  ])('refuse %s', (_name, sql, message) => {
    appendMany(3);
    expect(() => t.db.exec(sql)).toThrow(message);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 3 });
  });
});

describe('retention', () => {
  it('by rows keeps the newest rows and an anchor, and the chain still verifies', () => {
    appendMany(10);
    const before = [...log.events()];
    const result = log.prune({ auditRetentionRows: 4 });
    expect(result).toEqual({ pruned: 6, anchor: { seq: 6, hash: before[5]!.hash } });
    expect([...log.events()].map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(t.db.prepare(`SELECT seq, hash, pruned_rows FROM audit_anchor`).get()).toEqual({
      seq: 6,
      hash: before[5]!.hash,
      pruned_rows: 6,
    });
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 4, anchor: { seq: 6 } });

    expect(log.prune({ auditRetentionRows: 4 }).pruned).toBe(0);
    expect(log.append('sign_out', {}).seq).toBe(11);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 5 });
  });

  it('by days removes the leading run of old rows, then the chain still verifies', () => {
    appendMany(5, 86_400_000); // days 0..4 at 10:00
    clock.set('2025-03-06T09:00:00Z');
    expect(log.prune({ auditRetentionDays: 3 }).pruned).toBe(2); // older than 2025-03-03T09:00
    expect([...log.events()].map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 3, anchor: { seq: 2 } });

    clock.set('2026-01-01T00:00:00Z');
    expect(log.prune({ auditRetentionDays: 3 }).pruned).toBe(3);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 0, head: null, anchor: { seq: 5 } });
    expect(log.append('sign_in', {}).seq).toBe(6);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 1 });
  });

  it('by days and rows together prunes what either asks', () => {
    appendMany(6, 86_400_000);
    clock.set('2025-03-07T12:00:00Z');
    expect(log.prune({ auditRetentionDays: 30, auditRetentionRows: 2 }).pruned).toBe(4);
    expect(log.prune({ auditRetentionDays: 2, auditRetentionRows: 100 }).pruned).toBe(1);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 1 });
  });

  it('by days removes only a leading run of old rows, never a row after a newer one', () => {
    log.append('sign_in', {}); // 03-01
    clock.set('2025-03-09T00:00:00Z');
    log.append('refresh', {});
    clock.set('2020-01-01T00:00:00Z'); // clock set back: this row looks old
    log.append('clock_rollback', {});
    clock.set('2025-03-10T00:00:00Z');
    expect(log.prune({ auditRetentionDays: 5 }).pruned).toBe(1);
    expect([...log.events()].map((e) => e.seq)).toEqual([2, 3]);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 2 });
  });

  it('by days counts from the trusted time when the device clock was set forward', () => {
    const times = new TimeRecords(t.db);
    times.recordServerTime(new Date('2025-03-01T10:00:00Z'), new Date('2025-03-01T10:00:00Z'), 'http-date');
    appendMany(5, 86_400_000); // 03-01 .. 03-05
    clock.set('2035-01-01T00:00:00Z');
    // Back online after the jump: the server says it is 03-06.
    times.recordServerTime(new Date('2025-03-06T10:00:00Z'), new Date('2035-01-01T00:00:00Z'), 'http-date');
    expect(log.prune({ auditRetentionDays: 3 }).pruned).toBe(2); // older than 03-03T10:00 by trusted time
    expect([...log.events()].map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('checks only the rows it removes: a change among the kept rows stays for verify to report', () => {
    appendMany(6);
    const raw = new BetterSqlite3(t.file);
    raw.exec(`DROP TRIGGER audit_events_append_only_update; UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 6;`);
    raw.close();
    expect(log.prune({ auditRetentionRows: 2 }).pruned).toBe(4);
    expect(verifyChain(t.db)).toMatchObject({ ok: false, problems: [{ seq: 6, problem: 'edited' }] });
  });

  it('refuses to prune a tampered log, so retention cannot erase the evidence', () => {
    appendMany(6);
    const raw = new BetterSqlite3(t.file);
    raw.exec(`DROP TRIGGER audit_events_append_only_update; UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 2;`);
    raw.close();
    expect(() => log.prune({ auditRetentionRows: 2 })).toThrow(expect.objectContaining({ code: 'audit_tampered' }));
    expect(rowCount()).toBe(6);
  });

  it.each([
    [{ auditRetentionDays: 0 }],
    [{ auditRetentionDays: -1 }],
    [{ auditRetentionRows: 0 }],
    [{ auditRetentionRows: 1.5 }],
    [{ auditRetentionDays: Number.NaN }],
  ])('refuses %j', (retention) => {
    expect(() => log.prune(retention)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
