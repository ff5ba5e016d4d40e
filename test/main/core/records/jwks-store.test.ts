import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FETCH_RECORDS_KEPT_PER_ISSUER, JwksStore } from '../../../../src/main/core/records/jwks-store';
import { PRIVATE_JWK_MEMBERS } from '../../../../src/main/core/records/public-jwk';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const ISSUER = 'https://idp.example.test';

async function publicKey(alg: 'RS256' | 'ES256' | 'EdDSA', kid?: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { ...jwk, alg, use: 'sig', ...(kid === undefined ? {} : { kid }) };
}

async function privateKey(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, kid };
}

let t: TempDatabase;
let clock: ReturnType<typeof movableClock>;
let store: JwksStore;

beforeEach(() => {
  t = openTempDatabase();
  clock = movableClock('2025-03-01T10:00:00Z');
  store = new JwksStore(t.db, clock);
});
afterEach(() => t.cleanup());

describe('replaceIssuerKeys (network)', () => {
  it('stores the keys of each type, with kid and alg, not removed', async () => {
    const keys = [await publicKey('RS256', 'rsa-1'), await publicKey('ES256', 'ec-1'), await publicKey('EdDSA', 'ed-1')];
    const change = await store.replaceIssuerKeys(ISSUER, keys, 'network');
    expect(change).toEqual({ added: 3, restored: 0, removed: 0, unchanged: 0, refused: [], strippedPrivate: 0 });
    const cached = store.keysFor(ISSUER);
    expect(cached.map((k) => [k.kid, k.alg, k.removedAt])).toEqual([
      ['rsa-1', 'RS256', null],
      ['ec-1', 'ES256', null],
      ['ed-1', 'EdDSA', null],
    ]);
    expect(cached.map((k) => k.jwk)).toEqual(keys);
    expect(store.keysFor('https://other.example.test')).toEqual([]);
  });

  it('stores keys without a kid, identified by their thumbprint', async () => {
    const a = await publicKey('ES256');
    const b = await publicKey('ES256');
    expect(await store.replaceIssuerKeys(ISSUER, [a, b, a], 'network')).toMatchObject({ added: 2, unchanged: 0 });
    const cached = store.keysFor(ISSUER);
    expect(cached).toHaveLength(2);
    expect(cached[0]).not.toHaveProperty('kid');
    expect(cached.map((k) => k.jwk)).toEqual([a, b]);
    const row = t.db.prepare(`SELECT thumbprint FROM jwks_keys ORDER BY id LIMIT 1`).get() as { thumbprint: string };
    expect(row.thumbprint).toBe(await calculateJwkThumbprint(a));
    expect(await store.replaceIssuerKeys(ISSUER, [b, a], 'network')).toMatchObject({ added: 0, unchanged: 2, removed: 0 });
  });

  it('keeps the same material published under two kids as two keys', async () => {
    const key = await publicKey('RS256', 'one');
    await store.replaceIssuerKeys(ISSUER, [key, { ...key, kid: 'two' }], 'network');
    expect(store.keysFor(ISSUER).map((k) => k.kid)).toEqual(['one', 'two']);
  });

  it('marks keys that disappeared as removed, and restores a key that reappears', async () => {
    const [k1, k2, k3] = [await publicKey('RS256', 'k1'), await publicKey('RS256', 'k2'), await publicKey('RS256', 'k3')];
    await store.replaceIssuerKeys(ISSUER, [k1, k2], 'network');

    clock.set('2025-03-08T10:00:00Z');
    expect(await store.replaceIssuerKeys(ISSUER, [k2, k3], 'network')).toMatchObject({ added: 1, removed: 1, unchanged: 1, restored: 0 });
    let byKid = new Map(store.keysFor(ISSUER).map((k) => [k.kid, k]));
    expect(byKid.get('k1')!.removedAt).toEqual(new Date('2025-03-08T10:00:00Z'));
    expect(byKid.get('k2')!.removedAt).toBeNull();
    expect(byKid.get('k3')!.removedAt).toBeNull();

    clock.set('2025-03-15T10:00:00Z');
    expect(await store.replaceIssuerKeys(ISSUER, [k1, k3], 'network')).toMatchObject({ added: 0, removed: 1, unchanged: 1, restored: 1 });
    byKid = new Map(store.keysFor(ISSUER).map((k) => [k.kid, k]));
    expect(byKid.get('k1')!.removedAt).toBeNull();
    expect(byKid.get('k2')!.removedAt).toEqual(new Date('2025-03-15T10:00:00Z'));

    const seen = t.db.prepare(`SELECT kid, first_seen_at, last_seen_at FROM jwks_keys WHERE kid = 'k1'`).get();
    expect(seen).toEqual({
      kid: 'k1',
      first_seen_at: Date.parse('2025-03-01T10:00:00Z'),
      last_seen_at: Date.parse('2025-03-15T10:00:00Z'),
    });
  });

  it('an empty network set removes every key of that issuer only', async () => {
    await store.replaceIssuerKeys(ISSUER, [await publicKey('RS256', 'a')], 'network');
    await store.replaceIssuerKeys('other-issuer', [await publicKey('RS256', 'b')], 'network');
    expect(await store.replaceIssuerKeys(ISSUER, [], 'network')).toMatchObject({ removed: 1 });
    expect(store.keysFor(ISSUER)[0]!.removedAt).toBeInstanceOf(Date);
    expect(store.keysFor('other-issuer')[0]!.removedAt).toBeNull();
  });

  it('strips every private member before storing, and the table refuses one anyway', async () => {
    const keys = [await privateKey('RS256', 'rsa'), await privateKey('ES256', 'ec'), await privateKey('EdDSA', 'ed')];
    for (const key of keys) expect(Object.keys(key)).toContain('d');
    expect(await store.replaceIssuerKeys(ISSUER, keys, 'network')).toMatchObject({ added: 3, strippedPrivate: 3 });

    const stored = t.db.prepare<[], { jwk: string }>(`SELECT jwk FROM jwks_keys`).all();
    for (const { jwk } of stored) {
      const parsed = JSON.parse(jwk) as Record<string, unknown>;
      for (const member of PRIVATE_JWK_MEMBERS) expect(parsed).not.toHaveProperty(member);
    }
    for (const key of store.keysFor(ISSUER)) expect(Object.keys(key.jwk).sort()).not.toContain('d');

    // Defence in depth: even a direct insert of a private member fails the table's CHECK.
    for (const member of PRIVATE_JWK_MEMBERS) {
      expect(() =>
        t.db
          .prepare(
            `INSERT INTO jwks_keys (issuer, thumbprint, jwk, source, first_seen_at, last_seen_at) VALUES ('x', 't', ?, 'network', 0, 0)`,
          )
          .run(JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB', [member]: 'secret' })),
      ).toThrow(/CHECK constraint failed/);
    }
  });

  it.each([
    ['a symmetric key', { kty: 'oct', kid: 'hs', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', alg: 'HS256' }, 'symmetric'],
    ['an encryption key', { kty: 'RSA', kid: 'enc', use: 'enc', n: 'sXch', e: 'AQAB' }, 'not_signing'],
    ['a key whose key_ops exclude verify', { kty: 'RSA', kid: 'ops', key_ops: ['encrypt'], n: 'sXch', e: 'AQAB' }, 'not_signing'],
    ['an unknown key type', { kty: 'XYZ', kid: 'xyz' }, 'invalid'],
    ['an RSA key without its modulus', { kty: 'RSA', kid: 'no-n', e: 'AQAB' }, 'invalid'],
    ['a non-string kid', { kty: 'RSA', kid: 7, n: 'sXch', e: 'AQAB' }, 'invalid'],
    ['not an object', 'eyJhbGciOi', 'invalid'],
  ])('refuses %s and says why', async (_name, entry, reason) => {
    const change = await store.replaceIssuerKeys(ISSUER, [entry, await publicKey('ES256', 'good')], 'network');
    expect(change.added).toBe(1);
    expect(change.refused).toEqual([{ kid: typeof entry === 'object' && typeof entry.kid === 'string' ? entry.kid : null, reason }]);
    expect(store.keysFor(ISSUER).map((k) => k.kid)).toEqual(['good']);
  });

  it('refuses a keys value that is not an array', async () => {
    await expect(store.replaceIssuerKeys(ISSUER, { keys: [] } as unknown as unknown[], 'network')).rejects.toMatchObject({
      code: 'jwks_invalid',
    });
  });
});

describe('importBundled', () => {
  it('adds unseen keys and never removes network keys', async () => {
    const net = await publicKey('RS256', 'net');
    const bundled = await publicKey('ES256', 'bundled');
    await store.replaceIssuerKeys(ISSUER, [net], 'network');
    expect(await store.importBundled(ISSUER, { keys: [bundled] })).toMatchObject({ added: 1, removed: 0 });
    expect(store.keysFor(ISSUER).map((k) => [k.kid, k.removedAt])).toEqual([
      ['net', null],
      ['bundled', null],
    ]);
    expect(t.db.prepare(`SELECT kid, source FROM jwks_keys ORDER BY id`).all()).toEqual([
      { kid: 'net', source: 'network' },
      { kid: 'bundled', source: 'bundled' },
    ]);
  });

  it('cannot restore a key the network removed, however often the bundle is imported', async () => {
    const old = await publicKey('RS256', 'old');
    await store.importBundled(ISSUER, { keys: [old] });
    clock.advance(60_000);
    await store.replaceIssuerKeys(ISSUER, [await publicKey('RS256', 'new')], 'network');
    const removedAt = store.keysFor(ISSUER).find((k) => k.kid === 'old')!.removedAt;
    expect(removedAt).toBeInstanceOf(Date);

    clock.advance(60_000);
    expect(await store.importBundled(ISSUER, { keys: [old] })).toMatchObject({ added: 0, restored: 0, unchanged: 1 });
    expect(store.keysFor(ISSUER).find((k) => k.kid === 'old')!.removedAt).toEqual(removedAt);
  });

  it('a bundled key later seen on the network becomes a network key', async () => {
    const key = await publicKey('EdDSA', 'both');
    await store.importBundled(ISSUER, { keys: [key] });
    await store.replaceIssuerKeys(ISSUER, [key], 'network');
    expect(t.db.prepare(`SELECT source FROM jwks_keys`).all()).toEqual([{ source: 'network' }]);
  });

  it('keyRecords gives each key with its source and when it was first and last seen', async () => {
    const net = await publicKey('RS256', 'net');
    const bundled = await publicKey('ES256', 'bundled');
    await store.replaceIssuerKeys(ISSUER, [net], 'network');
    clock.advance(60_000);
    await store.importBundled(ISSUER, { keys: [bundled] });
    clock.advance(60_000);
    await store.replaceIssuerKeys(ISSUER, [net, bundled], 'network');
    clock.advance(60_000);
    await store.importBundled(ISSUER, { keys: [await publicKey('EdDSA', 'late')] });
    const records = store.keyRecords(ISSUER);
    expect(records.map((r) => [r.key.kid, r.source, r.firstSeenAt.toISOString(), r.lastSeenAt.toISOString()])).toEqual([
      ['net', 'network', '2025-03-01T10:00:00.000Z', '2025-03-01T10:02:00.000Z'],
      ['bundled', 'network', '2025-03-01T10:01:00.000Z', '2025-03-01T10:02:00.000Z'],
      ['late', 'bundled', '2025-03-01T10:03:00.000Z', '2025-03-01T10:03:00.000Z'],
    ]);
    expect(records.map((r) => r.key)).toEqual(store.keysFor(ISSUER));
  });

  it.each([[null], [[]], [{}], [{ keys: 'x' }]])('refuses %j as a JWKS document', async (doc) => {
    let caught: unknown;
    try {
      await store.importBundled(ISSUER, doc);
    } catch (error) {
      caught = error;
    }
    expect(isFieldKeyError(caught, 'jwks_invalid')).toBe(true);
  });
});

describe('fetch records', () => {
  it('records fetches and finds the last successful one', () => {
    expect(store.lastSuccessfulFetch(ISSUER)).toBeUndefined();
    store.recordFetch(ISSUER, { outcome: 'ok', serverDate: new Date('2025-03-01T10:00:02Z'), etag: '"v1"' });
    clock.advance(1000);
    store.recordFetch(ISSUER, { outcome: 'network_error', detail: 'ECONNREFUSED' });
    expect(store.lastSuccessfulFetch(ISSUER)).toEqual({
      issuer: ISSUER,
      fetchedAt: new Date('2025-03-01T10:00:00Z'),
      serverDate: new Date('2025-03-01T10:00:02Z'),
      etag: '"v1"',
      outcome: 'ok',
      detail: null,
    });
    clock.advance(1000);
    store.recordFetch(ISSUER, { outcome: 'not_modified', etag: '"v1"', serverDate: null });
    expect(store.lastSuccessfulFetch(ISSUER)).toMatchObject({ outcome: 'not_modified', fetchedAt: new Date('2025-03-01T10:00:02Z') });
    expect(store.lastSuccessfulFetch('other')).toBeUndefined();
  });

  it(`keeps at most ${FETCH_RECORDS_KEPT_PER_ISSUER} records per issuer, and always the last successful one`, () => {
    store.recordFetch(ISSUER, { outcome: 'ok', etag: '"kept"' });
    store.recordFetch('other', { outcome: 'ok' });
    for (let i = 0; i < FETCH_RECORDS_KEPT_PER_ISSUER + 50; i++) {
      clock.advance(1000);
      store.recordFetch(ISSUER, { outcome: i % 2 ? 'http_error' : 'invalid', detail: `HTTP 50${i % 10}` });
    }
    const count = (issuer: string) =>
      (t.db.prepare(`SELECT count(*) AS n FROM jwks_fetches WHERE issuer = ?`).get(issuer) as { n: number }).n;
    expect(count(ISSUER)).toBe(FETCH_RECORDS_KEPT_PER_ISSUER + 1);
    expect(count('other')).toBe(1);
    expect(store.lastSuccessfulFetch(ISSUER)).toMatchObject({ etag: '"kept"', fetchedAt: new Date('2025-03-01T10:00:00Z') });
  });

  it('truncates a long detail and refuses an invalid date', () => {
    store.recordFetch(ISSUER, { outcome: 'ok', detail: 'x'.repeat(5000) });
    expect((t.db.prepare(`SELECT length(detail) AS n FROM jwks_fetches`).get() as { n: number }).n).toBe(500);
    expect(() => store.recordFetch(ISSUER, { outcome: 'ok', serverDate: new Date('nonsense') })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
