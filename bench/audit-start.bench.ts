/**
 * `start-100k-audit`: the audit work of an app start (AuthAudit.applyRetention, as
 * AuthService.start runs it) on a log of 100,000 events, against `start-empty`, the same on a log
 * that starts empty. Each sample first appends the events of one session (10, not timed), then
 * times retention, which keeps the policy's number of newest events: on the large log it prunes the
 * 10 oldest, on the empty one the 10 of the previous sample. The ratio should stay near 1 (<= 1.2):
 * what start-up checks follows the rows it removes, not the length of the log.
 *
 * `verify-100k-rss`: the peak resident memory (MB) of a process that opens the 100,000-event log
 * and runs a full `verifyChain` (bench/verify-memory.ts), for information.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../src/main/core/audit/audit-log';
import { AuthAudit } from '../src/main/core/auth/auth-audit';
import { systemClock } from '../src/main/core/clock';
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

/** A log file with `count` events, written in one transaction. */
export function logFile(dir: string, name: string, count: number): string {
  const file = join(dir, name);
  const db = openDatabase(file);
  const log = new AuditLog(db, systemClock);
  db.transaction(() => appendEvents(log, count))();
  db.close();
  return file;
}

interface Start {
  db: Database;
  log: AuditLog;
  audit: AuthAudit;
  keep: number;
}

function start(file: string, keep: number): Start {
  const db = openDatabase(file);
  const log = new AuditLog(db, systemClock);
  return { db, log, audit: new AuthAudit(log, () => undefined), keep };
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-audit-'));
  try {
    const large = start(logFile(dir, 'large.db', LARGE), LARGE);
    const empty = start(logFile(dir, 'empty.db', 0), SESSION_EVENTS);
    const retention = (s: Start) => () => {
      appendEvents(s.log, SESSION_EVENTS); // not part of start-up, but inside the sample: cheap and the same for both
      s.audit.applyRetention({ auditRetentionDays: 36_500, auditRetentionRows: s.keep });
    };
    const { candidate, baseline } = await compare(retention(large), retention(empty), { samples: 31, warmup: 3 });
    const remaining = (large.db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
    large.db.close();
    empty.db.close();
    if (remaining !== LARGE) throw new Error(`retention left ${remaining} events, expected ${LARGE}`);

    const probe = fileURLToPath(new URL('./verify-memory.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', probe, logFile(dir, 'verify.db', LARGE)], { encoding: 'utf8' });
    const memory = JSON.parse(out) as { ok: boolean; rows: number; peakRssMb: number; baseRssMb: number };
    if (!memory.ok || memory.rows !== LARGE) throw new Error(`verify of the 100k log: ${out}`);
    return [
      { name: 'start-100k-audit', median: candidate, unit: 'ms', ratio: candidate / baseline, baseline: 'start-empty' },
      { name: 'start-empty', median: baseline, unit: 'ms' },
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
