/**
 * One decision for an unlocked account: the policy's offline token, the high-water mark raised
 * first, the unknown-kid JWKS re-fetch only while online; and the online check-in that ends a clock
 * rollback. Real keys and signed tokens, real time records in a temp SQLite file; the JWKS sync is
 * a test double (its own tests cover the fetching).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clockReadings,
  confirmClockOnline,
  decideAccess,
  offlineTokenOf,
  type AccessDecisionDeps,
} from '../../../../src/main/core/auth/access-decision';
import { fixedClock } from '../../../../src/main/core/clock';
import type { CachedKey } from '../../../../src/main/core/offline/cached-keys';
import type { JwksSyncResult } from '../../../../src/main/core/oauth/jwks-sync';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { claims, makeKey, NOW, policy, sign, type TestKey } from '../offline/token-factory';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const ACCOUNT = 'a'.repeat(43);
let t: TempDatabase;
let times: TimeRecords;
let key: TestKey;

beforeEach(async () => {
  t = openTempDatabase();
  times = new TimeRecords(t.db);
  key = await makeKey('ES256', 'k1');
});
afterEach(() => t.cleanup());

/** A JWKS double: starts with `initial`, gets `fetched` on a re-fetch, counts the requests. */
function jwksDouble(initial: CachedKey[], fetched: CachedKey[] = initial) {
  let keys = initial;
  const calls = { syncs: 0 };
  return {
    calls,
    keys: () => keys,
    syncForUnknownKid: async (): Promise<JwksSyncResult> => {
      calls.syncs++;
      keys = fetched;
      return { outcome: 'ok', change: { added: 1, restored: 0, removed: 0, unchanged: 0, refused: [], strippedPrivate: 0 } };
    },
  };
}

function deps(jwks: ReturnType<typeof jwksDouble>, online: boolean, at = NOW): AccessDecisionDeps {
  return { policy: policy(), clock: fixedClock(at), times, jwks, online: () => online };
}

describe('decideAccess', () => {
  it('decides the access token by default and the ID token when the policy says so', async () => {
    const access = await sign(key, claims());
    const id = await sign(key, claims({ sub: 'from-id-token' }));
    expect(offlineTokenOf({ accessToken: access, idToken: id }, policy())).toBe(access);
    expect(offlineTokenOf({ accessToken: access, idToken: id }, policy({ offlineToken: 'id' }))).toBe(id);
    expect(offlineTokenOf({}, policy())).toBe('');
    const jwks = jwksDouble([{ kid: 'k1', jwk: key.jwk }]);
    expect(
      (await decideAccess({ ...deps(jwks, false), policy: policy({ offlineToken: 'id' }) }, ACCOUNT, { accessToken: access, idToken: id }))
        .decision,
    ).toMatchObject({
      decision: 'full',
      sub: 'from-id-token',
    });
  });

  it('raises the high-water mark on every decision and reads the account check-in', async () => {
    const jwks = jwksDouble([{ kid: 'k1', jwk: key.jwk }]);
    times.recordCheckIn(ACCOUNT, new Date(NOW.getTime() - 60_000), null);
    const { decision, readings } = await decideAccess(deps(jwks, false), ACCOUNT, { accessToken: await sign(key, claims()) });
    expect(decision).toMatchObject({ decision: 'full', reason: 'valid' });
    expect(times.highWater()).toEqual(NOW);
    expect(readings).toMatchObject({ now: NOW, highWater: NOW, lastCheckIn: new Date(NOW.getTime() - 60_000) });
    expect(decision.checkInDueAt).toEqual(new Date(NOW.getTime() - 60_000 + 7 * 86_400_000));
  });

  it('re-fetches the JWKS once for an unknown kid while online, and decides again', async () => {
    const rotated = await makeKey('ES256', 'k2');
    const jwks = jwksDouble(
      [{ kid: 'k1', jwk: key.jwk }],
      [
        { kid: 'k1', jwk: key.jwk },
        { kid: 'k2', jwk: rotated.jwk },
      ],
    );
    const decided = await decideAccess(deps(jwks, true), ACCOUNT, { accessToken: await sign(rotated, claims()) });
    expect(decided.decision).toMatchObject({ decision: 'full', kid: 'k2' });
    expect(decided.jwksSync).toMatchObject({ outcome: 'ok' });
    expect(jwks.calls.syncs).toBe(1);
  });

  it('does not fetch while offline: the unknown kid is denied', async () => {
    const rotated = await makeKey('ES256', 'k2');
    const jwks = jwksDouble([{ kid: 'k1', jwk: key.jwk }], [{ kid: 'k2', jwk: rotated.jwk }]);
    const decided = await decideAccess(deps(jwks, false), ACCOUNT, { accessToken: await sign(rotated, claims()) });
    expect(decided.decision).toMatchObject({ decision: 'denied', reason: 'unknown_kid' });
    expect(decided.jwksSync).toBeUndefined();
    expect(jwks.calls.syncs).toBe(0);
  });

  it('sees a clock moved back against the raised mark', async () => {
    const jwks = jwksDouble([{ kid: 'k1', jwk: key.jwk }]);
    const token = await sign(key, claims());
    await decideAccess(deps(jwks, false, new Date(NOW.getTime() + 3_600_000)), ACCOUNT, { accessToken: token });
    const decided = await decideAccess(deps(jwks, false), ACCOUNT, { accessToken: token });
    expect(decided.decision).toMatchObject({ decision: 'denied', reason: 'clock_rollback' });
    expect(decided.readings.highWater).toEqual(new Date(NOW.getTime() + 3_600_000));
  });
});

describe('confirmClockOnline', () => {
  const skew = policy({ clockSkewSeconds: 60 });
  const later = new Date(NOW.getTime() + 3_600_000);

  it.each([
    { name: 'the server agreed with the local clock just now: the mark drops to now', server: NOW, local: NOW, now: NOW, confirmed: true },
    {
      name: 'agreement within 5 s even with a smaller skew',
      server: new Date(NOW.getTime() + 4_000),
      local: NOW,
      now: NOW,
      confirmed: true,
      policy: policy({ clockSkewSeconds: 0 }),
    },
    {
      name: 'the local clock is 2 h behind the server: the mark stays',
      server: new Date(NOW.getTime() + 2 * 3_600_000),
      local: NOW,
      now: NOW,
      confirmed: false,
    },
    {
      name: 'the record is not from the exchange just made: the mark stays',
      server: NOW,
      local: NOW,
      now: new Date(NOW.getTime() + 120_000),
      confirmed: false,
    },
  ])('$name', ({ server, local, now, confirmed, policy: p }) => {
    times.raiseHighWater(later);
    times.recordServerTime(server, local, 'http-date');
    expect(confirmClockOnline({ clock: fixedClock(now), times }, p ?? skew)).toBe(confirmed);
    expect(times.highWater()).toEqual(confirmed ? now : later);
  });

  it('does nothing without a server time', () => {
    expect(confirmClockOnline({ clock: fixedClock(NOW), times }, skew)).toBe(false);
    expect(times.highWater()).toBeUndefined();
  });

  it('clockReadings leaves out what was never recorded', () => {
    expect(clockReadings({ clock: fixedClock(NOW), times }, ACCOUNT)).toEqual({ now: NOW, highWater: NOW });
  });
});
