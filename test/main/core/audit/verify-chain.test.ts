import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash } from '../../../../src/main/core/audit/audit-hash';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import type { StoredAuditRow } from '../../../../src/main/core/audit/audit-rows';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

let t: TempDatabase;
let log: AuditLog;

/** The tamperer: a separate connection to the same file that first drops the guard triggers. */
function tamper(sql: string, ...params: unknown[][]): void {
  const raw = new BetterSqlite3(t.file);
  try {
    const triggers = raw.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all();
    for (const { name } of triggers) raw.exec(`DROP TRIGGER "${name}"`);
    if (params.length === 0) raw.exec(sql);
    else for (const p of params) raw.prepare(sql).run(...p);
  } finally {
    raw.close();
  }
}

function row(seq: number): StoredAuditRow {
  return t.db.prepare(`SELECT * FROM audit_events WHERE seq = ?`).get(seq) as StoredAuditRow;
}

const INSERT = `INSERT INTO audit_events (seq, type, account, at_local, at_trusted, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const values = (seq: number, r: StoredAuditRow) => [seq, r.type, r.account, r.at_local, r.at_trusted, r.details, r.prev_hash, r.hash];

beforeEach(() => {
  t = openTempDatabase();
  const clock = movableClock('2025-03-01T10:00:00Z');
  log = new AuditLog(t.db, clock);
  for (let i = 1; i <= 8; i++) {
    log.append(i % 2 ? 'unlock_failed' : 'unlock_ok', {
      account: 'https://idp|alice',
      details: i % 2 ? { failedAttempts: i, remainingAttempts: 1 } : { access: 'full' },
    });
    clock.advance(60_000);
  }
  expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 8 });
});
afterEach(() => t.cleanup());

describe('verifyChain on a tampered file', () => {
  it('reports an edited details value', () => {
    tamper(`UPDATE audit_events SET details = '{"failedAttempts":0,"remainingAttempts":5}' WHERE seq = 3`);
    expect(verifyChain(t.db)).toEqual({
      ok: false,
      rows: 8,
      problems: [{ seq: 3, problem: 'edited', detail: 'the row no longer matches its hash' }],
    });
  });

  it.each([
    ['type', `UPDATE audit_events SET type = 'unlock_ok' WHERE seq = 5`],
    ['account', `UPDATE audit_events SET account = 'https://idp|mallory' WHERE seq = 5`],
    ['local time', `UPDATE audit_events SET at_local = at_local - 3600000 WHERE seq = 5`],
    ['trusted time', `UPDATE audit_events SET at_trusted = 0 WHERE seq = 5`],
  ])('reports an edited %s', (_what, sql) => {
    tamper(sql);
    expect(verifyChain(t.db)).toMatchObject({ ok: false, problems: [{ seq: 5, problem: 'edited' }] });
  });

  it('reports a row rewritten with a recomputed hash (the next row still links to the original)', () => {
    const r = { ...row(4), details: '{"access":"read-only"}' };
    tamper(`UPDATE audit_events SET details = ?, hash = ? WHERE seq = 4`, [r.details, auditHash(4, r)]);
    expect(verifyChain(t.db)).toMatchObject({
      ok: false,
      problems: [{ seq: 4, problem: 'edited', detail: expect.stringMatching(/recomputed/) }],
    });
  });

  it('reports a deleted middle row', () => {
    tamper(`DELETE FROM audit_events WHERE seq = 4`);
    expect(verifyChain(t.db)).toEqual({ ok: false, rows: 7, problems: [{ seq: 4, problem: 'deleted', detail: 'row 4 is missing' }] });
  });

  it('reports several deleted rows as one range', () => {
    tamper(`DELETE FROM audit_events WHERE seq BETWEEN 3 AND 5`);
    expect(verifyChain(t.db)).toMatchObject({ ok: false, problems: [{ seq: 3, problem: 'deleted', detail: 'rows 3..5 are missing' }] });
  });

  it('reports the oldest rows deleted without moving the anchor', () => {
    tamper(`DELETE FROM audit_events WHERE seq <= 2`);
    expect(verifyChain(t.db)).toMatchObject({ ok: false, problems: [{ seq: 1, problem: 'deleted', detail: 'rows 1..2 are missing' }] });
  });

  it('reports a deleted row whose successors were renumbered to close the gap', () => {
    tamper(
      `DELETE FROM audit_events WHERE seq = 3; UPDATE audit_events SET seq = -seq WHERE seq > 3; UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0;`,
    );
    expect(verifyChain(t.db)).toEqual({
      ok: false,
      rows: 7,
      problems: [
        { seq: 3, problem: 'deleted', detail: 'row 3 is missing' },
        { seq: 3, problem: 'reordered', detail: 'rows 3..7 were written as seq 4..8' },
      ],
    });
  });

  it('reports a forged row appended at the end', () => {
    tamper(INSERT, [
      9,
      'unlock_ok',
      'https://idp|mallory',
      Date.parse('2025-03-01T11:00:00Z'),
      null,
      '{"access":"full"}',
      'f'.repeat(64),
      'e'.repeat(64),
    ]);
    expect(verifyChain(t.db)).toEqual({
      ok: false,
      rows: 9,
      problems: [{ seq: 9, problem: 'inserted', detail: 'the row does not belong to the chain' }],
    });
  });

  it('reports a forged row with a valid hash inserted in the middle (later rows shifted), naming the shift once', () => {
    const forged = {
      type: 'unlock_ok',
      account: 'https://idp|mallory',
      at_local: row(4).at_local,
      at_trusted: null,
      details: '{"access":"full"}',
      prev_hash: row(4).prev_hash,
    };
    tamper(`UPDATE audit_events SET seq = -seq WHERE seq >= 4; UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0;`);
    // The forger copies the predecessor's hash and hashes the row as the code would, but cannot fix the shifted rows.
    tamper(INSERT, [4, forged.type, forged.account, forged.at_local, null, forged.details, forged.prev_hash, auditHash(4, forged)]);
    const result = verifyChain(t.db);
    expect(result).toMatchObject({ ok: false, rows: 9 });
    expect(result.ok === false && result.problems).toEqual([
      { seq: 4, problem: 'inserted', detail: 'the row claims the place of row 5' },
      { seq: 5, problem: 'reordered', detail: 'rows 5..9 were written as seq 4..8' },
    ]);
  });

  it('reports a forged row in the middle that copies its predecessor link but not a valid hash as inserted', () => {
    tamper(`UPDATE audit_events SET seq = -seq WHERE seq >= 4; UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0;`);
    tamper(INSERT, [4, 'unlock_ok', null, row(3).at_local, null, '{"access":"full"}', row(3).hash, 'a'.repeat(64)]);
    expect(verifyChain(t.db)).toMatchObject({
      ok: false,
      problems: [
        { seq: 4, problem: 'inserted' },
        { seq: 5, problem: 'reordered', detail: 'rows 5..9 were written as seq 4..8' },
      ],
    });
  });

  it('reports two rows whose content was swapped', () => {
    const [r3, r6] = [row(3), row(6)];
    tamper(
      `UPDATE audit_events SET type = ?, account = ?, at_local = ?, at_trusted = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
      [...values(3, r6).slice(1), 3],
      [...values(6, r3).slice(1), 6],
    );
    expect(verifyChain(t.db)).toEqual({
      ok: false,
      rows: 8,
      problems: [
        { seq: 3, problem: 'reordered', detail: 'the row was written as seq 6' },
        { seq: 6, problem: 'reordered', detail: 'the row was written as seq 3' },
      ],
    });
  });

  it('reports a copy of an intact row appended as a new row', () => {
    tamper(INSERT, values(9, row(2)));
    expect(verifyChain(t.db)).toMatchObject({
      ok: false,
      problems: [{ seq: 9, problem: 'inserted', detail: 'the row is a copy of row 2' }],
    });
  });

  it('reports a row placed before the retention anchor', () => {
    tamper(INSERT, values(0, row(1)));
    expect(verifyChain(t.db)).toMatchObject({ ok: false, problems: [{ seq: 0, problem: 'inserted' }] });
  });

  it('reports an anchor that does not match the first row, or a missing anchor', () => {
    log.prune({ auditRetentionRows: 5 });
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 5 });
    tamper(`UPDATE audit_anchor SET hash = '${'b'.repeat(64)}'`);
    expect(verifyChain(t.db)).toMatchObject({
      ok: false,
      problems: [{ seq: 3, problem: 'edited', detail: 'the retention anchor does not match the first row' }],
    });
    // Without its anchor the verifier starts from the genesis: the pruned rows count as missing too.
    tamper(`DELETE FROM audit_anchor`);
    expect(verifyChain(t.db)).toMatchObject({
      ok: false,
      problems: [
        { seq: 0, problem: 'deleted', detail: 'the retention anchor row is missing' },
        { seq: 1, problem: 'deleted', detail: 'rows 1..3 are missing' },
      ],
    });
  });

  it('always detects a change, whatever single column of whichever row is edited', () => {
    const columns = ['type', 'account', 'at_local', 'at_trusted', 'details', 'prev_hash', 'hash'] as const;
    const originals = t.db.prepare(`SELECT * FROM audit_events ORDER BY seq`).all() as StoredAuditRow[];
    for (const original of originals) {
      for (const column of columns) {
        const changed = typeof original[column] === 'number' || original[column] === null ? 12345 : `${String(original[column])}x`;
        tamper(`UPDATE audit_events SET ${column} = ? WHERE seq = ?`, [changed, original.seq]);
        const result = verifyChain(t.db);
        expect(result.ok, `${column} of ${original.seq}`).toBe(false);
        expect(
          result.ok === false &&
            result.problems.some((p) => p.seq === original.seq || p.seq === original.seq + 1 || p.seq === original.seq - 1),
        ).toBe(true);
        tamper(`UPDATE audit_events SET ${column} = ? WHERE seq = ?`, [original[column], original.seq]);
      }
    }
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 8 });
  });

  it('always detects any two rows swapped, and names both', () => {
    const originals = t.db.prepare(`SELECT * FROM audit_events ORDER BY seq`).all() as StoredAuditRow[];
    const set = `UPDATE audit_events SET type = ?, account = ?, at_local = ?, at_trusted = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?`;
    for (const a of originals) {
      for (const b of originals) {
        if (b.seq <= a.seq) continue;
        tamper(set, [...values(a.seq, b).slice(1), a.seq], [...values(b.seq, a).slice(1), b.seq]);
        const result = verifyChain(t.db);
        expect(result.ok === false && result.problems.map((p) => [p.seq, p.problem]), `${a.seq}<->${b.seq}`).toEqual([
          [a.seq, 'reordered'],
          [b.seq, 'reordered'],
        ]);
        tamper(set, [...values(a.seq, a).slice(1), a.seq], [...values(b.seq, b).slice(1), b.seq]);
      }
    }
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: 8 });
  });
});
