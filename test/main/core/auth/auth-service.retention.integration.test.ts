/**
 * Audit retention at start-up, with real parts (run under scripts/with-keyring.sh): the demo IdP, a
 * real SQLite file and the real Secret Service. A log grown past the policy's `auditRetentionRows`
 * is pruned to the limit when the service starts and its chain still verifies; a tampered log is
 * left whole (the start-up check records what it found), and the service starts anyway.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { ServiceHarness } from './service-harness';

const ROWS = 1000; // the smallest auditRetentionRows a policy allows
const ACCOUNT = 'a'.repeat(43);

let h: ServiceHarness;

beforeEach(async () => {
  h = new ServiceHarness({ policy: { auditRetentionRows: ROWS } });
  await h.start();
});
afterEach(() => h?.stop());

/** Appends `n` events straight through AuditLog (as earlier runs of the app would have). */
function growLog(n: number): void {
  const log = new AuditLog(h.db, h.clock);
  for (let i = 0; i < n; i++) log.append('unlock_ok', { account: ACCOUNT, details: { access: 'full', failedAttempts: 0 } });
}

describe('auth service start-up: audit retention', () => {
  it('prunes the oldest events down to auditRetentionRows, and the remaining chain verifies', async () => {
    growLog(1100);
    const before = h.auditEvents();
    expect(before.length).toBeGreaterThanOrEqual(1100);
    const head = before.at(-1)!;

    await h.service.dispose();
    await h.startService();

    const after = h.auditEvents();
    expect(after).toHaveLength(ROWS);
    expect(after.at(-1)).toEqual(head);
    expect(after[0]!.seq).toBe(head.seq - ROWS + 1);
    expect(verifyChain(h.db)).toMatchObject({ ok: true, rows: ROWS, head: { seq: head.seq, hash: head.hash } });
    expect(h.logLines).toContain(`audit retention (365 days, ${ROWS} events): pruned ${before.length - ROWS} event(s)`);
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
  });

  it('leaves a tampered log whole, logs why, and starts anyway', async () => {
    growLog(1100);
    const raw = new BetterSqlite3(join(h.dir, 'fieldkey.db'));
    raw.exec(`DROP TRIGGER audit_events_append_only_update; UPDATE audit_events SET details = '{"access":"read-only"}' WHERE seq = 5;`);
    raw.close();
    const before = h.auditEvents().length;

    await h.service.dispose();
    await h.startService();

    // Nothing removed; the start-up check of the chain found the edit and recorded it at the end.
    expect(h.auditEvents()).toHaveLength(before + 1);
    expect(h.auditEvents().at(-1)).toMatchObject({ type: 'audit_tamper_detected', details: { seq: 5, problem: 'edited' } });
    expect(verifyChain(h.db)).toMatchObject({ ok: false, problems: [expect.objectContaining({ seq: 5, problem: 'edited' })] });
    expect(h.logLines).toContain('audit retention not applied: audit_tampered');
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
  });
});
