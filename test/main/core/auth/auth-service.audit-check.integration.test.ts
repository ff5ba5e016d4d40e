/**
 * The audit chain checked when the service starts, with real parts (run under
 * scripts/with-keyring.sh): the demo IdP, a real SQLite file and the real Secret Service. Rows are
 * appended as earlier runs of the app would have (keyed, the head mirrored), the file is edited with
 * another connection, and the next start reports it: one log line, one `audit_tamper_detected`
 * event, and doctor's `audit_start_check_failed`; later starts check only the rows after it. Start-up goes on.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditHeadMirror, readAuditKeys, readRetentionAllowance } from '../../../../src/main/core/audit/audit-keying';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import { checkAudit } from '../../../../src/main/core/doctor/audit-check';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { openRecordMac } from '../../../../src/main/core/records/record-mac';
import { ServiceHarness } from './service-harness';

const ACCOUNT = 'a'.repeat(43);

let h: ServiceHarness;

beforeEach(async () => {
  h = new ServiceHarness({});
  await h.start();
  // The first start fetches the JWKS in the background and audits it; let that land before the test edits the log.
  for (const deadline = Date.now() + 10_000; !h.auditTypes().includes('jwks_changed');) {
    if (Date.now() > deadline) throw new Error('no jwks_changed event after the first start');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});
afterEach(() => h?.stop());

const secrets = () => createKeytarSecretStore({ service: h.keychainService });

/** Appends `n` events keyed as the app keys them, and waits for the head to be mirrored. */
async function growLog(n: number): Promise<void> {
  const log = new AuditLog(h.db, h.clock);
  const mirror = new AuditHeadMirror(secrets(), (error) => {
    throw error;
  });
  log.keyWith((await openRecordMac(secrets())).mac, mirror);
  for (let i = 0; i < n; i++) log.append('unlock_ok', { account: ACCOUNT, details: { access: 'full', failedAttempts: 0 } });
  await mirror.settle();
}

function tamper(sql: string): void {
  const raw = new BetterSqlite3(join(h.dir, 'fieldkey.db'));
  raw.exec('DROP TRIGGER IF EXISTS audit_events_append_only_update; DROP TRIGGER IF EXISTS audit_events_append_only_delete;');
  raw.exec(sql);
  raw.close();
}

async function restart(): Promise<string[]> {
  await h.service.dispose();
  const from = h.logLines.length;
  await h.startService();
  return h.logLines.slice(from).filter((line) => line.startsWith('audit chain'));
}

const headSeq = () => h.auditEvents().at(-1)?.seq ?? 0;
const checkpointSeq = () => (h.db.prepare('SELECT seq FROM audit_verified').get() as { seq: number }).seq;
const tamperEvents = () => h.auditEvents().filter((e) => e.type === 'audit_tamper_detected');

describe('auth service start-up: the audit chain check', () => {
  it('checks the whole chain once, then only the rows written since the last start', async () => {
    expect(h.logLines).toContainEqual(
      expect.stringMatching(/^audit chain checked at start from the anchor at seq 0 \(no checkpoint yet\): \d+ row\(s\) intact/),
    );
    const checkpoint = checkpointSeq(); // the head before this run's own events
    await growLog(20);
    const grown = headSeq();
    const lines = await restart();
    const head = checkpointSeq();
    expect(head).toBeGreaterThanOrEqual(grown);
    expect(lines).toEqual([
      `audit chain checked at start after seq ${checkpoint}: ${head - checkpoint} row(s) intact; checkpoint at seq ${head}`,
    ]);
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
  });

  it('reports rows edited after the checkpoint once: a log line, an audit event, doctor; starts anyway and goes on checking', async () => {
    await growLog(10);
    await restart();
    await growLog(5);
    const edited = headSeq() - 2;
    tamper(`UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}' WHERE seq = ${edited}`);

    expect(await restart()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^audit chain check at start FAILED after seq \\d+: seq ${edited} edited; recorded, reported by fieldkey doctor \\(audit_start_check_failed\\)$`,
        ),
      ),
    ]);
    expect(tamperEvents()).toEqual([
      expect.objectContaining({ account: null, details: expect.objectContaining({ seq: edited, problem: 'edited' }) }),
    ]);
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
    const section = checkAudit(h.db, undefined, await readAuditKeys(secrets()));
    expect(section.findings.map((f) => f.code)).toEqual(['audit_tampered', 'audit_start_check_failed']);

    // Reported once: the next start checks only the rows written since, and finds them intact.
    expect(await restart()).toEqual([expect.stringMatching(/^audit chain checked at start after seq \d+: \d+ row\(s\) intact/)]);
    expect(tamperEvents()).toHaveLength(1);
  });

  it('reports the newest rows removed (the head kept in the keychain)', async () => {
    await growLog(10);
    await restart();
    await growLog(5);
    const head = headSeq();
    tamper(`DELETE FROM audit_events WHERE seq > ${head - 3}`);
    expect(await restart()).toEqual([expect.stringMatching(new RegExp(`FAILED after seq \\d+: seq ${head} deleted;`))]);
    expect(tamperEvents()).toHaveLength(1);
  });

  it('an anchor retention moved before the keychain kept one is adopted once; moved again with SQL, it is reported', async () => {
    await growLog(12);
    new AuditLog(h.db, h.clock).prune({ auditRetentionRows: 8 }); // as an earlier FieldKey's retention did
    const anchor = () => h.db.prepare('SELECT seq, hash FROM audit_anchor').get() as { seq: number; hash: string };
    const adopted = anchor();
    expect(adopted.seq).toBeGreaterThan(0);
    const from = h.logLines.length;
    await restart();
    expect(h.logLines.slice(from)).toContain(`audit retention anchor at seq ${adopted.seq} kept in the keychain`);
    expect(await readRetentionAllowance(secrets())).toEqual(adopted);

    const firstKept = h.auditEvents()[3]!;
    tamper(`DELETE FROM audit_events WHERE seq < ${firstKept.seq}`);
    tamper(`UPDATE audit_anchor SET seq = ${firstKept.seq - 1}, hash = '${firstKept.prevHash}'`);
    expect(await restart()).toEqual([expect.stringMatching(new RegExp(`FAILED .*: seq ${firstKept.seq - 1} deleted;`))]);
    expect(tamperEvents()).toHaveLength(1);
  });
});
