/**
 * The cached signing keys under the installation's record MAC, in a real SQLite file: a key written
 * into the cache with raw SQL (an attacker's key, or a real row's key swapped) is not returned, so a
 * token it signed is not verified offline; without the MAC it would be. The next fetch of the
 * issuer's real set signs its rows again.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keysFromJwks } from '../../../../src/main/core/offline/cached-keys';
import { verifyOffline } from '../../../../src/main/core/offline/verify-offline';
import { fixedClock } from '../../../../src/main/core/clock';
import { JwksStore } from '../../../../src/main/core/records/jwks-store';
import { RecordMac } from '../../../../src/main/core/records/record-mac';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';
import { ISSUER, NOW, claims, makeKey, policy, sign, type TestKey } from '../offline/token-factory';

let real: TestKey;
let attacker: TestKey;
let t: TempDatabase;
let mac: RecordMac;

beforeAll(async () => {
  real = await makeKey('ES256', 'real-1');
  attacker = await makeKey('ES256', 'attacker-1');
});
beforeEach(() => {
  t = openTempDatabase();
  mac = new RecordMac(randomBytes(32));
});
afterEach(() => t.cleanup());

function store(): JwksStore {
  return new JwksStore(t.db, fixedClock(NOW));
}

/** What an attacker with the OS account can do: write a row of their own into the cache. */
function smuggle(key: TestKey, kid: string): void {
  t.db
    .prepare(
      `INSERT INTO jwks_keys (issuer, kid, alg, thumbprint, jwk, source, first_seen_at, last_seen_at, removed_at)
     VALUES (?, ?, 'ES256', ?, ?, 'network', 0, 0, NULL)`,
    )
    .run(ISSUER, kid, `thumb-${kid}`, JSON.stringify(key.jwk));
}

async function decide(s: JwksStore, key: TestKey): Promise<string> {
  return (await verifyOffline(await sign(key, claims()), s.keysFor(ISSUER), policy(), { now: NOW })).decision;
}

describe('cached signing keys under the record MAC', () => {
  it('without the MAC (before protect), a smuggled key verifies: the gap the MAC closes', async () => {
    const s = store();
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    smuggle(attacker, 'attacker-1');
    expect(await decide(s, attacker)).toBe('full');
  });

  it('with the MAC, a smuggled key is not returned and its token is denied; the real key still verifies', async () => {
    const s = store();
    s.protect(mac, true);
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    smuggle(attacker, 'attacker-1');
    expect(s.keysFor(ISSUER).map((k) => k.kid)).toEqual(['real-1']);
    expect(await decide(s, attacker)).toBe('denied');
    expect(await decide(s, real)).toBe('full');
  });

  it("a real row whose key was swapped for the attacker's is not trusted either", async () => {
    const s = store();
    s.protect(mac, true);
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    t.db.prepare(`UPDATE jwks_keys SET jwk = ? WHERE kid = 'real-1'`).run(JSON.stringify({ ...attacker.jwk, kid: 'real-1' }));
    expect(s.keysFor(ISSUER)).toEqual([]);
    expect(await decide(s, await makeKey('ES256', 'real-1'))).toBe('denied');
  });

  it('rows cached before the MAC are signed once (an upgrade keeps working offline); a row added unsigned later is not trusted', async () => {
    const before = store();
    await before.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    const upgraded = store();
    upgraded.protect(mac, false);
    expect(upgraded.keysFor(ISSUER).map((k) => k.kid)).toEqual(['real-1']);
    smuggle(attacker, 'attacker-1');
    const restarted = store();
    restarted.protect(mac, false);
    expect(restarted.keysFor(ISSUER).map((k) => k.kid)).toEqual(['real-1']);
  });

  it('the next fetch of the real set signs it again', async () => {
    const s = store();
    s.protect(mac, true);
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    t.db.prepare(`UPDATE jwks_keys SET mac = NULL`).run();
    expect(s.keysFor(ISSUER)).toEqual([]);
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    expect(keysFromJwks({ keys: [real.jwk] })[0]!.jwk).toEqual(s.keysFor(ISSUER)[0]!.jwk);
  });

  it('doctor can count the untrusted rows without writing: none while nothing is signed, then the smuggled one', async () => {
    const s = store();
    await s.replaceIssuerKeys(ISSUER, [real.jwk], 'network');
    expect(s.untrustedKeyCount(ISSUER, mac)).toBe(0); // an unsigned table would be adopted
    s.protect(mac, true);
    smuggle(attacker, 'attacker-1');
    expect(s.untrustedKeyCount(ISSUER, mac)).toBe(1);
    expect(s.untrustedKeyCount(ISSUER, new RecordMac(randomBytes(32)))).toBe(2); // another key: nothing verifies
  });
});
