import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { RECORDS_KEPT_PER_KIND, TimeRecords } from '../../../../src/main/core/records/time-records';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const at = (iso: string) => new Date(iso);

let t: TempDatabase;
let records: TimeRecords;

beforeEach(() => {
  t = openTempDatabase();
  records = new TimeRecords(t.db);
});
afterEach(() => t.cleanup());

const count = (sql: string, ...args: unknown[]) => (t.db.prepare(sql).get(...args) as { n: number }).n;

describe('server time', () => {
  it('returns the most recently recorded pair, whatever its source', () => {
    expect(records.lastServerTime()).toBeUndefined();
    records.recordServerTime(at('2025-03-01T10:00:05Z'), at('2025-03-01T10:00:00Z'), 'http-date');
    records.recordServerTime(at('2025-03-01T09:59:59Z'), at('2025-03-01T10:00:01Z'), 'token-iat');
    expect(records.lastServerTime()).toEqual({ serverTime: at('2025-03-01T09:59:59Z'), localTime: at('2025-03-01T10:00:01Z') });
  });

  it('estimates trusted time as last server time plus local time elapsed since', () => {
    expect(records.trustedNow(at('2025-03-01T12:00:00Z'))).toBeUndefined();
    records.recordServerTime(at('2025-03-01T10:00:30Z'), at('2025-03-01T10:00:00Z'), 'http-date');
    expect(records.trustedNow(at('2025-03-01T11:00:00Z'))).toEqual(at('2025-03-01T11:00:30Z'));
  });

  it(`keeps the newest ${RECORDS_KEPT_PER_KIND} records per source`, () => {
    const base = Date.parse('2025-03-01T00:00:00Z');
    for (let i = 0; i < RECORDS_KEPT_PER_KIND + 20; i++) {
      records.recordServerTime(new Date(base + i * 1000), new Date(base + i * 1000), 'http-date');
    }
    records.recordServerTime(new Date(base), new Date(base), 'token-iat');
    expect(count(`SELECT count(*) AS n FROM server_times WHERE source = 'http-date'`)).toBe(RECORDS_KEPT_PER_KIND);
    expect(count(`SELECT count(*) AS n FROM server_times WHERE source = 'token-iat'`)).toBe(1);
    expect(count(`SELECT min(server_time) AS n FROM server_times WHERE source = 'http-date'`)).toBe(base + 20_000);
  });

  it('refuses invalid dates and unknown sources', () => {
    expect(() => records.recordServerTime(new Date(NaN), at('2025-03-01T10:00:00Z'), 'http-date')).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => records.recordServerTime(at('2025-03-01T10:00:00Z'), at('2025-03-01T10:00:00Z'), 'guess' as 'http-date')).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(records.lastServerTime()).toBeUndefined();
  });
});

describe('high-water mark', () => {
  it('only ever rises, and survives reopening the file', () => {
    expect(records.highWater()).toBeUndefined();
    expect(records.raiseHighWater(at('2025-03-01T10:00:00Z'))).toEqual(at('2025-03-01T10:00:00Z'));
    expect(records.raiseHighWater(at('2025-02-01T10:00:00Z'))).toEqual(at('2025-03-01T10:00:00Z'));
    expect(records.raiseHighWater(at('2025-03-02T10:00:00Z'))).toEqual(at('2025-03-02T10:00:00Z'));
    expect(records.raiseHighWater(at('1970-01-01T00:00:00Z'))).toEqual(at('2025-03-02T10:00:00Z'));
    expect(count(`SELECT count(*) AS n FROM clock_high_water`)).toBe(1);

    t.db.close();
    const reopened = openDatabase(t.file);
    try {
      expect(new TimeRecords(reopened).highWater()).toEqual(at('2025-03-02T10:00:00Z'));
    } finally {
      reopened.close();
    }
  });

  it('is set, lower or higher, by resetHighWater (after an online check-in confirmed the clock)', () => {
    records.raiseHighWater(at('2025-03-02T10:00:00Z'));
    expect(records.resetHighWater(at('2025-03-01T09:00:00Z'))).toEqual(at('2025-03-01T09:00:00Z'));
    expect(records.raiseHighWater(at('2025-03-01T08:00:00Z'))).toEqual(at('2025-03-01T09:00:00Z'));
    expect(() => records.resetHighWater(new Date(NaN))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(count(`SELECT count(*) AS n FROM clock_high_water`)).toBe(1);
  });
});

describe('check-ins', () => {
  it('returns each account its own latest check-in', () => {
    expect(records.lastCheckIn('https://idp|alice')).toBeUndefined();
    records.recordCheckIn('https://idp|alice', at('2025-03-01T10:00:00Z'), at('2025-03-01T10:00:02Z'));
    records.recordCheckIn('https://idp|bob', at('2025-03-02T10:00:00Z'), null);
    records.recordCheckIn('https://idp|alice', at('2025-03-03T10:00:00Z'), at('2025-03-03T10:00:01Z'));
    expect(records.lastCheckIn('https://idp|alice')).toEqual({ at: at('2025-03-03T10:00:00Z'), serverTime: at('2025-03-03T10:00:01Z') });
    expect(records.lastCheckIn('https://idp|bob')).toEqual({ at: at('2025-03-02T10:00:00Z'), serverTime: null });
  });

  it(`keeps the newest ${RECORDS_KEPT_PER_KIND} check-ins per account`, () => {
    const base = Date.parse('2025-03-01T00:00:00Z');
    for (let i = 0; i < RECORDS_KEPT_PER_KIND + 5; i++) records.recordCheckIn('a', new Date(base + i), null);
    records.recordCheckIn('b', new Date(base), null);
    expect(count(`SELECT count(*) AS n FROM check_ins WHERE account_key = 'a'`)).toBe(RECORDS_KEPT_PER_KIND);
    expect(count(`SELECT count(*) AS n FROM check_ins WHERE account_key = 'b'`)).toBe(1);
    expect(records.lastCheckIn('a')!.at).toEqual(new Date(base + RECORDS_KEPT_PER_KIND + 4));
  });

  it('refuses an empty account key', () => {
    expect(() => records.recordCheckIn('', at('2025-03-01T10:00:00Z'), null)).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
