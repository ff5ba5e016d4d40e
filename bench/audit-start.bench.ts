/**
 * `start-100k-audit`: the audit work of an app start on a log of 100,000 events, against
 * `start-empty`, the same on a log that starts empty. Both logs are keyed as the app keys them (row
 * MACs under a record MAC key, the head mirrored in a keychain, here one in memory so the OS keychain's
 * latency stays out). Each sample appends the events of one session (10, keyed, the same for both),
 * then does what AuthService does at start: the check of the chain from the verified checkpoint,
 * which is the previous sample's head as at every start after the first (verifyAuditAtStart), and
 * retention, which keeps the policy's number of newest events: on the large log it prunes the 10
 * oldest, on the empty one the 10 of the previous sample. The ratio should stay near 1 (<= 1.2):
 * what start-up checks follows the rows written since the last start and the rows it removes, not
 * the length of the log.
 *
 * `first-verify-100k`: the one check from the anchor that the first start after an upgrade (no
 * checkpoint yet) does on the 100,000-event log, timed once.
 *
 * `verify-100k-rss`: the peak resident memory (MB) of a process that opens the 100,000-event log
 * and runs a full `verifyChain` (bench/verify-memory.ts), for information.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { allowRetention, AuditHeadMirror, readMirroredAudit } from '../src/main/core/audit/audit-keying';
import { AuditLog } from '../src/main/core/audit/audit-log';
import { AuthAudit, verifyAuditAtStart } from '../src/main/core/auth/auth-audit';
import { systemClock } from '../src/main/core/clock';
import { RecordMac } from '../src/main/core/records/record-mac';
import type { SecretStore } from '../src/main/core/secrets/secret-store';
import { openDatabase, type Database } from '../src/main/adapters/sqlite/database';
import { compare, type BenchResult } from './harness';

const LARGE = 100_000;
const SESSION_EVENTS = 10;

/** Appends `count` events the way a session does (unlocks and sign-ins with their details). */
export function appendEvents(log: AuditLog, count: number): void {
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) log.append('unlock_ok', { details: { access: 'full', failedAttempts: 0 } });
    else log.append('sign_in', { details: { issuer: 'https://idp.example.test', reason: 'first', redirectMode: 'loopback' } });
  }
}

/** A keychain in memory: the entries the audit keying writes and reads. */
function memorySecrets(): SecretStore {
  const entries = new Map<string, string>();
  return {
    get: (entry) => Promise.resolve(entries.get(entry) ?? null),
    set: (entry, value) => {
      entries.set(entry, value);
      return Promise.resolve();
    },
    delete: (entry) => Promise.resolve(entries.delete(entry)),
    list: () => Promise.resolve([...entries.keys()]),
  };
}

/** The installation's keys as a start sees them: the record MAC key and a keychain with the mirrored head. */
interface Keys {
  mac: RecordMac;
  secrets: SecretStore;
  mirror: AuditHeadMirror;
}

function keys(): Keys {
  const secrets = memorySecrets();
  return {
    mac: new RecordMac(randomBytes(32)),
    secrets,
    mirror: new AuditHeadMirror(secrets, (error) => {
      throw error;
    }),
  };
}

/** A log file with `count` events, written in one transaction (keyed when `keyed` is given). */
export async function logFile(dir: string, name: string, count: number, keyed?: Keys): Promise<string> {
  const file = join(dir, name);
  const db = openDatabase(file);
  const log = new AuditLog(db, systemClock);
  if (keyed) log.keyWith(keyed.mac, keyed.mirror);
  db.transaction(() => appendEvents(log, count))();
  await keyed?.mirror.settle();
  db.close();
  return file;
}

interface Start {
  db: Database;
  log: AuditLog;
  audit: AuthAudit;
  keys: Keys;
  keep: number;
}

function start(file: string, keyed: Keys, keep: number): Start {
  const db = openDatabase(file);
  const log = new AuditLog(db, systemClock);
  log.keyWith(keyed.mac, keyed.mirror, { allowRetention: (target) => allowRetention(keyed.secrets, target) });
  return { db, log, audit: new AuthAudit(log, () => undefined), keys: keyed, keep };
}

/** The start-up check as AuthService runs it; throws unless the chain verified. */
async function startCheck(s: Start): Promise<number> {
  const check = await verifyAuditAtStart({
    db: s.db,
    recordKey: { mac: s.keys.mac, created: false },
    mirrored: readMirroredAudit(s.keys.secrets),
    now: new Date(),
    audit: s.audit,
    log: () => undefined,
  });
  if (check?.outcome !== 'verified' || !check.result.ok) throw new Error(`start-up check: ${JSON.stringify(check)}`);
  return check.result.rowsRead;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-audit-'));
  try {
    const largeKeys = keys();
    const emptyKeys = keys();
    const large = start(await logFile(dir, 'large.db', LARGE, largeKeys), largeKeys, LARGE);
    const empty = start(await logFile(dir, 'empty.db', 0, emptyKeys), emptyKeys, SESSION_EVENTS);
    // The first start after the upgrade: no checkpoint yet, the whole chain is checked once.
    const begin = performance.now();
    const firstRows = await startCheck(large);
    const firstVerifyMs = performance.now() - begin;
    if (firstRows !== LARGE) throw new Error(`the first check read ${firstRows} rows, expected ${LARGE}`);
    await startCheck(empty);

    const startUp = (s: Start) => async () => {
      appendEvents(s.log, SESSION_EVENTS); // not part of start-up, but inside the sample: cheap and the same for both
      await s.keys.mirror.settle();
      const read = await startCheck(s);
      if (read !== SESSION_EVENTS) throw new Error(`the start-up check read ${read} rows, expected ${SESSION_EVENTS}`);
      await s.audit.applyRetention({ auditRetentionDays: 36_500, auditRetentionRows: s.keep });
    };
    const { candidate, baseline } = await compare(startUp(large), startUp(empty), { samples: 31, warmup: 3 });
    const remaining = (large.db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
    large.db.close();
    empty.db.close();
    if (remaining !== LARGE) throw new Error(`retention left ${remaining} events, expected ${LARGE}`);

    const probe = fileURLToPath(new URL('./verify-memory.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', probe, await logFile(dir, 'verify.db', LARGE)], { encoding: 'utf8' });
    const memory = JSON.parse(out) as { ok: boolean; rows: number; peakRssMb: number; baseRssMb: number };
    if (!memory.ok || memory.rows !== LARGE) throw new Error(`verify of the 100k log: ${out}`);
    return [
      { name: 'start-100k-audit', median: candidate, unit: 'ms', ratio: candidate / baseline, baseline: 'start-empty' },
      { name: 'start-empty', median: baseline, unit: 'ms' },
      {
        name: 'first-verify-100k',
        median: firstVerifyMs,
        unit: 'ms',
        note: 'one run: the start-up check of the 100,000-event keyed log from the anchor (no checkpoint yet, as after an upgrade)',
      },
      {
        name: 'verify-100k-rss',
        median: memory.peakRssMb,
        unit: 'MB',
        note: `peak RSS of a full verify; ${memory.baseRssMb} MB after opening the database`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
