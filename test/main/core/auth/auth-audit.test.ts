/**
 * The auth service's audit records, in a real audit log (temp SQLite file): decision events once per
 * change of reason, JWKS changes only when keys changed, a refused detail left out of its event, and
 * retention that never throws.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthAudit, decisionKey } from '../../../../src/main/core/auth/auth-audit';
import type { DecidedAccess } from '../../../../src/main/core/auth/access-decision';
import { auditEvents, AuditLog } from '../../../../src/main/core/audit/audit-log';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { fixedClock } from '../../../../src/main/core/clock';
import type { DecisionReason, OfflineDecision } from '../../../../src/main/core/offline/decision';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ACCOUNT = 'a'.repeat(43);
const CHANGE = { added: 0, restored: 0, removed: 0, unchanged: 2, refused: [], strippedPrivate: 0 };

let t: TempDatabase;
let audit: AuthAudit;
let logLines: string[];

beforeEach(() => {
  t = openTempDatabase();
  logLines = [];
  audit = new AuthAudit(new AuditLog(t.db, fixedClock(NOW)), (line) => logLines.push(line));
});
afterEach(() => t.cleanup());

const events = () => [...auditEvents(t.db)].map((e) => ({ type: e.type, account: e.account, details: e.details }));

function decided(reason: DecisionReason, extra: Partial<OfflineDecision> = {}): DecidedAccess {
  const decision = reason === 'valid' || reason === 'grace_period' ? 'full' : 'denied';
  return {
    decision: {
      decision,
      reason,
      message: '',
      expiresAt: new Date('2026-06-01T11:00:00.000Z'),
      fullUntil: new Date('2026-06-02T11:00:00.000Z'),
      readOnlyUntil: new Date('2026-06-08T11:00:00.000Z'),
      ...extra,
    },
    readings: {
      now: NOW,
      highWater: new Date('2026-06-01T14:00:00.000Z'),
      lastServerTime: new Date('2026-06-01T10:00:00.000Z'),
      lastCheckIn: new Date('2026-05-20T12:00:00.000Z'),
    },
  };
}

describe('AuthAudit.decision', () => {
  it.each<{ reason: DecisionReason; decision?: OfflineDecision['decision']; type: string | undefined; details?: Record<string, unknown> }>([
    { reason: 'valid', type: undefined },
    {
      reason: 'grace_period',
      type: 'grace_entered',
      details: { expiredAt: '2026-06-01T11:00:00.000Z', graceEndsAt: '2026-06-02T11:00:00.000Z' },
    },
    {
      reason: 'expired',
      decision: 'read-only',
      type: 'read_only_entered',
      details: {
        expiredAt: '2026-06-01T11:00:00.000Z',
        graceEndedAt: '2026-06-02T11:00:00.000Z',
        readOnlyUntil: '2026-06-08T11:00:00.000Z',
      },
    },
    { reason: 'expired', type: 'access_denied', details: { reason: 'expired', expiredAt: '2026-06-01T11:00:00.000Z' } },
    { reason: 'bad_signature', type: 'access_denied', details: { reason: 'bad_signature', expiredAt: '2026-06-01T11:00:00.000Z' } },
    {
      reason: 'check_in_overdue',
      type: 'check_in_overdue',
      details: { lastCheckInAt: '2026-05-20T12:00:00.000Z', dueAt: '2026-05-27T12:00:00.000Z' },
    },
    {
      reason: 'clock_rollback',
      type: 'clock_rollback',
      details: {
        localTime: NOW.toISOString(),
        highWater: '2026-06-01T14:00:00.000Z',
        lastServerTime: '2026-06-01T10:00:00.000Z',
        behindSeconds: 7200,
        skewSeconds: 300,
      },
    },
  ])('$decision $reason -> $type', ({ reason, decision, type, details }) => {
    audit.decision(
      ACCOUNT,
      undefined,
      decided(reason, { checkInDueAt: new Date('2026-05-27T12:00:00.000Z'), ...(decision ? { decision } : {}) }),
      { clockSkewSeconds: 300 },
    );
    expect(events()).toEqual(type ? [{ type, account: ACCOUNT, details }] : []);
  });

  it('records a tier and reason once while it lasts, and again after it changed', () => {
    const readOnly = { decision: 'read-only' } as const;
    let previous: string | undefined;
    for (const [reason, extra] of [
      ['grace_period', {}],
      ['grace_period', {}],
      ['expired', readOnly],
      ['expired', readOnly],
      ['expired', {}],
      ['valid', {}],
      ['grace_period', {}],
    ] as const) {
      const d = decided(reason, extra);
      audit.decision(ACCOUNT, previous, d, { clockSkewSeconds: 300 });
      previous = decisionKey(d.decision);
    }
    expect(events().map((e) => e.type)).toEqual(['grace_entered', 'read_only_entered', 'access_denied', 'grace_entered']);
  });
});

describe('AuthAudit.record and jwks', () => {
  it('leaves out a refused detail (a random-looking path) and keeps the rest', () => {
    audit.record('policy_invalid', null, {
      source: '/tmp/fieldkey-auth-Xb9QzK/policy.json',
      field: 'pin.minLength',
      reason: 'policy_invalid',
    });
    expect(events()).toEqual([{ type: 'policy_invalid', account: null, details: { field: 'pin.minLength', reason: 'policy_invalid' } }]);
    expect(logLines).toEqual([expect.stringMatching(/^audit policy_invalid: detail source left out \(audit_details_rejected\)$/)]);
  });

  it('logs (by code) an event the log refuses, without throwing', () => {
    expect(() => audit.record('policy_invalid', 'eyJhbGciOiJub25lIn0.e30.', {})).not.toThrow();
    expect(events()).toEqual([]);
    expect(logLines).toEqual(['audit policy_invalid: audit_details_rejected']);
  });

  it('records a JWKS change only when keys were added, removed or restored', () => {
    audit.jwks('https://idp.example', 'bundled', CHANGE);
    audit.jwks('https://idp.example', 'bundled', undefined);
    audit.jwksSync('https://idp.example', 'stale', { outcome: 'not_modified' });
    audit.jwksSync('https://idp.example', 'unknown-kid', { outcome: 'ok', change: { ...CHANGE, added: 1, removed: 1 } });
    expect(events()).toEqual([
      {
        type: 'jwks_changed',
        account: null,
        details: { issuer: 'https://idp.example', source: 'unknown-kid', added: 1, removed: 1, restored: 0 },
      },
    ]);
  });
});

describe('AuthAudit.applyRetention', () => {
  const appendUnlocks = (n: number) => {
    for (let i = 0; i < n; i++) audit.record('unlock_ok', ACCOUNT, { access: 'full', failedAttempts: 0 });
  };

  it.each([
    { rows: 3, appended: 5, pruned: 2, kept: [3, 4, 5] },
    { rows: 5, appended: 5, pruned: 0, kept: [1, 2, 3, 4, 5] },
  ])('keeps the newest $rows of $appended events and logs the count', async ({ rows, appended, pruned, kept }) => {
    appendUnlocks(appended);
    await audit.applyRetention({ auditRetentionDays: 365, auditRetentionRows: rows });
    expect([...auditEvents(t.db)].map((e) => e.seq)).toEqual(kept);
    expect(verifyChain(t.db)).toMatchObject({ ok: true, rows: kept.length });
    expect(logLines).toEqual([`audit retention (365 days, ${rows} events): pruned ${pruned} event(s)`]);
  });

  it('leaves a tampered log whole and logs the code, without throwing', async () => {
    appendUnlocks(5);
    const raw = new BetterSqlite3(t.file);
    raw.exec(`DROP TRIGGER audit_events_append_only_update; UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 2;`);
    raw.close();
    await expect(audit.applyRetention({ auditRetentionDays: 365, auditRetentionRows: 2 })).resolves.toBeUndefined();
    expect([...auditEvents(t.db)]).toHaveLength(5);
    expect(logLines).toEqual(['audit retention not applied: audit_tampered']);
  });
});
