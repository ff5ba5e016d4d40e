/**
 * The clock-trust records (DESIGN.md section 2): server times paired with the local time they were
 * seen at, the local clock's high-water mark, and each account's online check-ins.
 *
 * Growth is bounded: at most RECORDS_KEPT_PER_KIND rows are kept per server-time source
 * (`http-date`, `token-iat`) and per account's check-ins; the newest are kept, and only the newest
 * is ever read. The high-water mark is a single row.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { fromMillis, fromMillisOrNull, toMillis, toMillisOrNull } from './instants';

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

export class TimeRecords {
  private readonly statements;

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

  /** Records a server time (HTTP `Date` or token `iat`) and the local time it was seen at. */
  recordServerTime(serverTime: Date, localTime: Date, source: ServerTimeSource): void {
    const server = toMillis(serverTime, 'The server time');
    const local = toMillis(localTime, 'The local time');
    if (source !== 'http-date' && source !== 'token-iat') throw new FieldKeyError('invalid_argument', 'Unknown server time source.');
    this.db.transaction(() => {
      this.statements.insertServerTime.run(server, local, source);
      this.statements.pruneServerTimes.run({ source, keep: RECORDS_KEPT_PER_KIND });
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
    this.statements.raiseHighWater.run(toMillis(localNow, 'The local time'));
    return this.highWater()!;
  }

  /**
   * Sets the mark to `localNow`, lower or higher. Only for the moment an online exchange has just
   * confirmed the local clock (its server time agreed with it): that check-in ends a clock rollback.
   */
  resetHighWater(localNow: Date): Date {
    this.statements.setHighWater.run(toMillis(localNow, 'The local time'));
    return this.highWater()!;
  }

  /** The highest local time ever recorded, or undefined on a fresh install. */
  highWater(): Date | undefined {
    const row = this.statements.highWater.get();
    return row ? fromMillis(row.local_time) : undefined;
  }

  /** Records a successful online check-in of an account (issuer + sub key). */
  recordCheckIn(accountKey: string, at: Date, serverTime: Date | null): void {
    if (typeof accountKey !== 'string' || accountKey === '') throw new FieldKeyError('invalid_argument', 'An account key is required.');
    const local = toMillis(at, 'The check-in time');
    const server = toMillisOrNull(serverTime, 'The server time');
    this.db.transaction(() => {
      this.statements.insertCheckIn.run(accountKey, local, server);
      this.statements.pruneCheckIns.run({ account: accountKey, keep: RECORDS_KEPT_PER_KIND });
    })();
  }

  /** The account's most recent check-in, or undefined if it never checked in on this device. */
  lastCheckIn(accountKey: string): CheckIn | undefined {
    const row = this.statements.lastCheckIn.get(accountKey);
    return row ? { at: fromMillis(row.at_local), serverTime: fromMillisOrNull(row.server_time) } : undefined;
  }
}

