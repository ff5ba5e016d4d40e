/**
 * The clock-trust records: server times paired with the local time they were
 * seen at, the local clock's high-water mark, and each account's online check-ins.
 *
 * Growth is bounded: at most RECORDS_KEPT_PER_KIND rows are kept per server-time source
 * (`http-date`, `token-iat`) and per account's check-ins; the newest are kept, and only the newest
 * is ever read. The high-water mark is a single row.
 *
 * Integrity (once `protect` has given the installation's record MAC, record-mac.ts): every row
 * written carries a MAC, and the high-water row's MAC also covers the ids of the newest server-time
 * row per source and the newest check-in per account, so editing, deleting or swapping any record
 * that is read is noticed. Then the records are tampered: the high-water mark reads as an invalid
 * time, which the offline decision treats as an untrusted clock (`clock_rollback`), and it is not
 * raised (so a tampered state is never signed again) until an online exchange confirms the clock
 * (`resetHighWater`). That also makes every tampered newest row harmless: a server time is dropped,
 * a check-in is moved to the epoch (its account must check in online again). Tampering therefore
 * never gives more access than the records had before; at worst it denies until the next check-in.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { fromMillis, fromMillisOrNull, toMillis, toMillisOrNull } from './instants';
import type { SecretStore } from '../secrets/secret-store';
import { openRecordMac, type MacField, type RecordMac } from './record-mac';

export type ServerTimeSource = 'http-date' | 'token-iat';

export interface ServerTimeRecord {
  serverTime: Date;
  /** The device clock when that server time was seen. */
  localTime: Date;
}

export interface CheckIn {
  /** The device clock at the check-in. */
  at: Date;
  /** The server's time at the check-in, when the exchange carried one. */
  serverTime: Date | null;
}

export const RECORDS_KEPT_PER_KIND = 100;

/** What the high-water mark reads as while the records are tampered: not a time, so never trusted. */
const UNTRUSTED = Number.NaN;

interface ServerTimeRow {
  id: number;
  server_time: number;
  local_time: number;
  source: string;
  mac: Buffer | null;
}

interface CheckInRow {
  id: number;
  account_key: string;
  at_local: number;
  server_time: number | null;
  mac: Buffer | null;
}

const serverTimeFields = (r: ServerTimeRow): MacField[] => [r.id, r.server_time, r.local_time, r.source];
const checkInFields = (r: CheckInRow): MacField[] => [r.id, r.account_key, r.at_local, r.server_time];

/** The statements only a protected TimeRecords runs (they name the MAC columns of migration 7). */
function macStatements(db: Database) {
  return {
    highWaterRow: db.prepare<[], { local_time: number; mac: Buffer | null }>(`SELECT local_time, mac FROM clock_high_water WHERE id = 1`),
    newestServerTimes: db.prepare<[], ServerTimeRow>(
      `SELECT id, server_time, local_time, source, mac FROM server_times
         WHERE id IN (SELECT max(id) FROM server_times GROUP BY source) ORDER BY source`,
    ),
    newestCheckIns: db.prepare<[], CheckInRow>(
      `SELECT id, account_key, at_local, server_time, mac FROM check_ins
         WHERE id IN (SELECT max(id) FROM check_ins GROUP BY account_key) ORDER BY account_key`,
    ),
    allServerTimes: db.prepare<[], ServerTimeRow>(`SELECT id, server_time, local_time, source, mac FROM server_times`),
    allCheckIns: db.prepare<[], CheckInRow>(`SELECT id, account_key, at_local, server_time, mac FROM check_ins`),
    anySigned: db.prepare<[], { n: number }>(
      `SELECT (SELECT count(*) FROM server_times WHERE mac IS NOT NULL) + (SELECT count(*) FROM check_ins WHERE mac IS NOT NULL)
         + (SELECT count(*) FROM clock_high_water WHERE mac IS NOT NULL) AS n`,
    ),
    maxLocalTime: db.prepare<[], { t: number | null }>(
      `SELECT max(t) AS t FROM (SELECT max(local_time) AS t FROM server_times UNION ALL SELECT max(at_local) FROM check_ins)`,
    ),
    signServerTime: db.prepare<[Buffer, number]>(`UPDATE server_times SET mac = ? WHERE id = ?`),
    signCheckIn: db.prepare<[Buffer, number]>(`UPDATE check_ins SET mac = ? WHERE id = ?`),
    moveCheckInToEpoch: db.prepare<[Buffer, number]>(`UPDATE check_ins SET at_local = 0, server_time = NULL, mac = ? WHERE id = ?`),
    deleteServerTime: db.prepare<[number]>(`DELETE FROM server_times WHERE id = ?`),
    signHighWater: db.prepare<[number, Buffer]>(
      `INSERT INTO clock_high_water (id, local_time, mac) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET local_time = excluded.local_time, mac = excluded.mac`,
    ),
  };
}

export class TimeRecords {
  private readonly statements;
  private mac: RecordMac | undefined;
  private signed: ReturnType<typeof macStatements> | undefined;

  constructor(private readonly db: Database) {
    this.statements = {
      insertServerTime: db.prepare<[number, number, ServerTimeSource]>(
        `INSERT INTO server_times (server_time, local_time, source) VALUES (?, ?, ?)`,
      ),
      pruneServerTimes: db.prepare<{ source: ServerTimeSource; keep: number }>(
        `DELETE FROM server_times WHERE source = :source
           AND id NOT IN (SELECT id FROM server_times WHERE source = :source ORDER BY id DESC LIMIT :keep)`,
      ),
      lastServerTime: db.prepare<[], { server_time: number; local_time: number }>(
        `SELECT server_time, local_time FROM server_times ORDER BY id DESC LIMIT 1`,
      ),
      raiseHighWater: db.prepare<[number]>(
        `INSERT INTO clock_high_water (id, local_time) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET local_time = max(local_time, excluded.local_time)`,
      ),
      highWater: db.prepare<[], { local_time: number }>(`SELECT local_time FROM clock_high_water WHERE id = 1`),
      setHighWater: db.prepare<[number]>(
        `INSERT INTO clock_high_water (id, local_time) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET local_time = excluded.local_time`,
      ),
      insertCheckIn: db.prepare<[string, number, number | null]>(
        `INSERT INTO check_ins (account_key, at_local, server_time) VALUES (?, ?, ?)`,
      ),
      pruneCheckIns: db.prepare<{ account: string; keep: number }>(
        `DELETE FROM check_ins WHERE account_key = :account
           AND id NOT IN (SELECT id FROM check_ins WHERE account_key = :account ORDER BY id DESC LIMIT :keep)`,
      ),
      lastCheckIn: db.prepare<[string], { at_local: number; server_time: number | null }>(
        `SELECT at_local, server_time FROM check_ins WHERE account_key = ? ORDER BY id DESC LIMIT 1`,
      ),
    };
  }

  /**
   * From now on, sign every record written and check every record read under `mac`. `created`:
   * the key was just made. Then records that carry no MAC at all were written before there was one
   * (an upgrade) and are signed as they are, once; records that do carry MACs were signed under a
   * key that is gone, and stay tampered until an online check-in.
   */
  protect(mac: RecordMac, created: boolean): void {
    this.signed = macStatements(this.db);
    this.mac = mac;
    if (!created || this.signedStatements().anySigned.get()!.n > 0) return;
    this.db.transaction(() => {
      for (const row of this.signedStatements().allServerTimes.all())
        this.signedStatements().signServerTime.run(mac.tag('server_time', serverTimeFields(row)), row.id);
      for (const row of this.signedStatements().allCheckIns.all())
        this.signedStatements().signCheckIn.run(mac.tag('check_in', checkInFields(row)), row.id);
      const existing = this.signedStatements().highWaterRow.get()?.local_time ?? this.signedStatements().maxLocalTime.get()?.t;
      if (existing !== undefined && existing !== null) this.signHighWater(existing);
    })();
  }

  /** `protect` with the installation's record MAC key from the keychain (created on first use). */
  async protectWith(secrets: SecretStore): Promise<void> {
    const { mac, created } = await openRecordMac(secrets);
    this.protect(mac, created);
  }

  /** `unprotected` before `protect`; otherwise whether every record that is read verifies. */
  integrity(): 'ok' | 'tampered' | 'unprotected' {
    if (!this.mac) return 'unprotected';
    return this.tampered() ? 'tampered' : 'ok';
  }

  /** Records a server time (HTTP `Date` or token `iat`) and the local time it was seen at. */
  recordServerTime(serverTime: Date, localTime: Date, source: ServerTimeSource): void {
    const server = toMillis(serverTime, 'The server time');
    const local = toMillis(localTime, 'The local time');
    if (source !== 'http-date' && source !== 'token-iat') throw new FieldKeyError('invalid_argument', 'Unknown server time source.');
    this.db.transaction(() => {
      const intact = this.mac !== undefined && !this.tampered();
      const { lastInsertRowid } = this.statements.insertServerTime.run(server, local, source);
      this.statements.pruneServerTimes.run({ source, keep: RECORDS_KEPT_PER_KIND });
      if (!this.mac) return;
      const id = Number(lastInsertRowid);
      this.signedStatements().signServerTime.run(this.mac.tag('server_time', [id, server, local, source]), id);
      if (intact) this.signHighWater(Math.max(this.signedStatements().highWaterRow.get()?.local_time ?? local, local));
    })();
  }

  /** The most recently recorded server time (either source), or undefined if none was ever seen. */
  lastServerTime(): ServerTimeRecord | undefined {
    const row = this.statements.lastServerTime.get();
    return row ? { serverTime: fromMillis(row.server_time), localTime: fromMillis(row.local_time) } : undefined;
  }

  /**
   * The trusted-time estimate at `localNow`: last server time + (localNow - the local time it was
   * seen at). Undefined when no server time was ever recorded.
   */
  trustedNow(localNow: Date): Date | undefined {
    const last = this.lastServerTime();
    if (!last) return undefined;
    return fromMillis(last.serverTime.getTime() + (toMillis(localNow, 'The local time') - last.localTime.getTime()));
  }

  /** Raises the local clock's high-water mark to `localNow` (never lowers it); returns the mark. */
  raiseHighWater(localNow: Date): Date {
    const now = toMillis(localNow, 'The local time');
    if (!this.mac) {
      this.statements.raiseHighWater.run(now);
      return this.highWater()!;
    }
    return this.db.transaction(() => {
      if (this.tampered()) return fromMillis(UNTRUSTED);
      const mark = Math.max(this.signedStatements().highWaterRow.get()?.local_time ?? now, now);
      this.signHighWater(mark);
      return fromMillis(mark);
    })();
  }

  /**
   * Sets the mark to `localNow`, lower or higher. Only for the moment an online exchange has just
   * confirmed the local clock (its server time agreed with it): that check-in ends a clock rollback.
   */
  resetHighWater(localNow: Date): Date {
    const now = toMillis(localNow, 'The local time');
    if (!this.mac) {
      this.statements.setHighWater.run(now);
      return this.highWater()!;
    }
    const mac = this.mac;
    this.db.transaction(() => {
      // The clock was just confirmed online: make the newest records that fail harmless, then sign.
      for (const row of this.signedStatements().newestServerTimes.all()) {
        if (!mac.verify('server_time', serverTimeFields(row), row.mac)) this.signedStatements().deleteServerTime.run(row.id);
      }
      for (const row of this.signedStatements().newestCheckIns.all()) {
        if (!mac.verify('check_in', checkInFields(row), row.mac)) {
          this.signedStatements().moveCheckInToEpoch.run(mac.tag('check_in', [row.id, row.account_key, 0, null]), row.id);
        }
      }
      this.signHighWater(now);
    })();
    return this.highWater()!;
  }

  /** The highest local time ever recorded, or undefined on a fresh install. */
  highWater(): Date | undefined {
    if (this.mac && this.tampered()) return fromMillis(UNTRUSTED);
    const row = this.statements.highWater.get();
    return row ? fromMillis(row.local_time) : undefined;
  }

  /** Records a successful online check-in of an account (issuer + sub key). */
  recordCheckIn(accountKey: string, at: Date, serverTime: Date | null): void {
    if (typeof accountKey !== 'string' || accountKey === '') throw new FieldKeyError('invalid_argument', 'An account key is required.');
    const local = toMillis(at, 'The check-in time');
    const server = toMillisOrNull(serverTime, 'The server time');
    this.db.transaction(() => {
      const intact = this.mac !== undefined && !this.tampered();
      const { lastInsertRowid } = this.statements.insertCheckIn.run(accountKey, local, server);
      this.statements.pruneCheckIns.run({ account: accountKey, keep: RECORDS_KEPT_PER_KIND });
      if (!this.mac) return;
      const id = Number(lastInsertRowid);
      this.signedStatements().signCheckIn.run(this.mac.tag('check_in', [id, accountKey, local, server]), id);
      if (intact) this.signHighWater(Math.max(this.signedStatements().highWaterRow.get()?.local_time ?? local, local));
    })();
  }

  /** The account's most recent check-in, or undefined if it never checked in on this device. */
  lastCheckIn(accountKey: string): CheckIn | undefined {
    const row = this.statements.lastCheckIn.get(accountKey);
    return row ? { at: fromMillis(row.at_local), serverTime: fromMillisOrNull(row.server_time) } : undefined;
  }

  /**
   * True when a record that is read fails: the high-water row's MAC (over its time and the ids of
   * the newest rows), or the MAC of a newest server-time row or check-in; or when records exist but
   * the high-water row does not (it was deleted).
   */
  private signedStatements(): ReturnType<typeof macStatements> {
    if (!this.signed) throw new FieldKeyError('invalid_argument', 'The clock records are not protected.');
    return this.signed;
  }

  private tampered(): boolean {
    const mac = this.mac!;
    const servers = this.signedStatements().newestServerTimes.all();
    const checkIns = this.signedStatements().newestCheckIns.all();
    const mark = this.signedStatements().highWaterRow.get();
    if (!mark) return servers.length > 0 || checkIns.length > 0;
    if (!mac.verify('high_water', this.highWaterFields(mark.local_time, servers, checkIns), mark.mac)) return true;
    return (
      servers.some((r) => !mac.verify('server_time', serverTimeFields(r), r.mac)) ||
      checkIns.some((r) => !mac.verify('check_in', checkInFields(r), r.mac))
    );
  }

  /** Writes the high-water mark with its MAC over the newest rows as they are now. */
  private signHighWater(localTime: number): void {
    const fields = this.highWaterFields(
      localTime,
      this.signedStatements().newestServerTimes.all(),
      this.signedStatements().newestCheckIns.all(),
    );
    this.signedStatements().signHighWater.run(localTime, this.mac!.tag('high_water', fields));
  }

  private highWaterFields(localTime: number, servers: ServerTimeRow[], checkIns: CheckInRow[]): MacField[] {
    return [localTime, servers.map((r) => [r.source, r.id]), checkIns.map((r) => [r.account_key, r.id])];
  }
}
