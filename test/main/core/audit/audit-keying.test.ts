/**
 * The audit chain keyed to the installation: rows signed under the record MAC key and the head
 * mirrored in the real Secret Service (run under scripts/with-keyring.sh), a real SQLite file, and
 * the attacks a chain without a secret cannot see: the newest rows removed, every hash recomputed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash } from '../../../../src/main/core/audit/audit-hash';
import { AuditHeadMirror, readAuditKeys } from '../../../../src/main/core/audit/audit-keying';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import { verifyChain } from '../../../../src/main/core/audit/verify-chain';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { openRecordMac } from '../../../../src/main/core/records/record-mac';
import { uniqueService } from '../secrets/vault-fixtures';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

let t: TempDatabase;
let secrets: SecretStore;

beforeEach(() => {
  t = openTempDatabase();
  secrets = createKeytarSecretStore({ service: uniqueService('audit-keys') });
});
afterEach(async () => {
  for (const entry of await secrets.list()) await secrets.delete(entry);
  t.cleanup();
});

/** `count` events appended by a log keyed as the app keys it; resolves once the head is mirrored. */
async function appendKeyed(db: Database, count: number): Promise<void> {
  const clock = movableClock('2026-06-02T08:00:00Z');
  const log = new AuditLog(db, clock);
  const { mac } = await openRecordMac(secrets);
  const mirror = new AuditHeadMirror(secrets, (error) => {
    throw error;
  });
  log.keyWith(mac, mirror);
  for (let i = 0; i < count; i++) {
    log.append('unlock_ok', { account: 'https://idp|alice', details: { access: 'full', failedAttempts: 0 } });
    clock.advance(60_000);
  }
  await mirror.settle();
}

/** Edits the file as an attacker would: another connection, the append-only triggers dropped. */
function tamper(sql: string): void {
  t.db.close();
  const raw = new BetterSqlite3(t.file);
  raw.exec('DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_append_only_delete;');
  raw.exec(sql);
  raw.close();
}

/** The edited file, opened read-only as `fieldkey audit verify` and doctor open it. */
function reopened(): Database {
  return openDatabase(t.file, { readonly: true });
}

describe('keyed audit chain', () => {
  it('signs every row and mirrors the head; an untouched log verifies with the keys', async () => {
    await appendKeyed(t.db, 5);
    const keys = await readAuditKeys(secrets);
    const head = t.db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    expect(keys.head).toEqual(head);
    expect(t.db.prepare('SELECT count(*) AS n FROM audit_events WHERE mac IS NULL').get()).toEqual({ n: 0 });
    expect(verifyChain(t.db, keys)).toMatchObject({ ok: true, rows: 5 });
  });

  it('reports the newest rows removed, which the chain alone cannot see', async () => {
    await appendKeyed(t.db, 5);
    const keys = await readAuditKeys(secrets);
    tamper('DELETE FROM audit_events WHERE seq > 3');
    const db = reopened();
    try {
      expect(verifyChain(db)).toMatchObject({ ok: true, rows: 3 });
      expect(verifyChain(db, keys)).toEqual({ ok: false, rows: 3, problems: [expect.objectContaining({ seq: 5, problem: 'deleted' })] });
    } finally {
      db.close();
    }
  });

  it('reports an edit whose chain was recomputed after it, which the chain alone cannot see', async () => {
    await appendKeyed(t.db, 5);
    const keys = await readAuditKeys(secrets);
    // Row 2 says "read-only" now, and every hash from it on is recomputed so the chain links.
    t.db.close();
    const raw = new BetterSqlite3(t.file);
    raw.exec('DROP TRIGGER audit_events_append_only_update;');
    const rows = raw.prepare('SELECT * FROM audit_events ORDER BY seq').all() as {
      seq: number;
      type: string;
      account: string | null;
      at_local: number;
      at_trusted: number | null;
      details: string;
      prev_hash: string;
      hash: string;
    }[];
    let prev = rows[0]!.hash;
    for (const row of rows.slice(1)) {
      const details = row.seq === 2 ? '{"access":"read-only","failedAttempts":0}' : row.details;
      const hash = auditHash(row.seq, { ...row, details, prev_hash: prev });
      raw.prepare('UPDATE audit_events SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(details, prev, hash, row.seq);
      prev = hash;
    }
    raw.close();
    const db = reopened();
    try {
      expect(verifyChain(db)).toMatchObject({ ok: true, rows: 5 });
      const keyed = verifyChain(db, keys);
      expect(keyed.ok).toBe(false);
      expect(keyed.ok ? [] : keyed.problems.map((p) => [p.seq, p.problem])).toEqual([
        [2, 'edited'],
        [3, 'edited'],
        [4, 'edited'],
        [5, 'edited'],
      ]);
    } finally {
      db.close();
    }
  });

  it('accepts rows written before the log was keyed, and retention removing rows before the head', async () => {
    const legacy = new AuditLog(t.db, movableClock('2026-06-01T08:00:00Z'));
    legacy.append('sign_in', { account: 'https://idp|alice', details: { issuer: 'https://idp', reason: 'first' } });
    await appendKeyed(t.db, 3);
    const keys = await readAuditKeys(secrets);
    expect(verifyChain(t.db, keys)).toMatchObject({ ok: true, rows: 4 });
    new AuditLog(t.db, movableClock('2026-06-03T08:00:00Z')).prune({ auditRetentionRows: 1 });
    expect(verifyChain(t.db, keys)).toMatchObject({ ok: true, rows: 1 });
  });
});
