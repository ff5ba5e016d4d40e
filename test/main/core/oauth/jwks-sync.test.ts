import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { JwksSync, UNKNOWN_KID_MIN_INTERVAL_MS } from '../../../../src/main/core/oauth/jwks-sync';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { JwksStore } from '../../../../src/main/core/records/jwks-store';
import { fakeFetch, json, networkDown, type FakeFetch } from './fake-fetch';
import { jwks, manualClock, testKey, type TestKey } from './test-keys';

const ISSUER = 'https://idp.example.test';
const JWKS_URI = `${ISSUER}/jwks`;
const DATE = 'Tue, 02 Jun 2026 10:00:00 GMT';

let db: Database;
let store: JwksStore;
let clock: ReturnType<typeof manualClock>;
let f: FakeFetch;
let sync: JwksSync;
let a: TestKey;
let b: TestKey;

beforeEach(() => {
  db = openDatabase(':memory:');
  clock = manualClock(new Date('2026-06-02T10:00:00Z'));
  store = new JwksStore(db, clock);
  f = fakeFetch();
  sync = new JwksSync({
    policy: { issuer: ISSUER, jwksRefreshDays: 7 },
    http: { fetch: f.fetch },
    clock,
    store,
    jwksUri: async () => JWKS_URI,
  });
});
beforeAll(async () => {
  [a, b] = await Promise.all([testKey('key-a', 'ES256'), testKey('key-b', 'RS256')]);
});

afterEach(() => db.close());

const activeKids = () =>
  sync
    .keys()
    .filter((k) => k.removedAt == null)
    .map((k) => k.kid)
    .sort();

describe('JWKS sync', () => {
  it('stores a fetched set and records the fetch with the server Date and ETag', async () => {
    f.route(JWKS_URI, () => json(jwks(a, b), { headers: { date: DATE, etag: '"v1"' } }));
    const result = await sync.sync('sign-in');
    expect(result).toMatchObject({ outcome: 'ok', change: { added: 2 } });
    expect(activeKids()).toEqual(['key-a', 'key-b']);
    expect(store.lastSuccessfulFetch(ISSUER)).toMatchObject({ outcome: 'ok', etag: '"v1"', serverDate: new Date(DATE) });
  });

  it('sends If-None-Match and keeps the set on 304', async () => {
    f.route(JWKS_URI, () => json(jwks(a), { headers: { etag: '"v1"' } }));
    await sync.sync();
    f.route(JWKS_URI, (call) => (call.headers.get('if-none-match') === '"v1"' ? new Response(null, { status: 304 }) : json(jwks(b))));
    clock.advance(1000);
    expect(await sync.sync()).toEqual({ outcome: 'not_modified' });
    expect(activeKids()).toEqual(['key-a']);
    expect(store.lastSuccessfulFetch(ISSUER)).toMatchObject({ outcome: 'not_modified', etag: '"v1"' });
  });

  it('marks keys that disappeared as removed', async () => {
    f.route(JWKS_URI, () => json(jwks(a, b)));
    await sync.sync();
    f.route(JWKS_URI, () => json(jwks(b)));
    expect(await sync.sync()).toMatchObject({ outcome: 'ok', change: { removed: 1 } });
    expect(sync.keys().find((k) => k.kid === 'key-a')?.removedAt).toBeInstanceOf(Date);
    expect(activeKids()).toEqual(['key-b']);
  });

  it.each([
    ['an HTML page', () => new Response('<html>oops</html>', { status: 200 }), 'invalid'],
    ['an object without keys', () => json({ foo: 1 }), 'invalid'],
    ['keys that is not a list', () => json({ keys: 'nope' }), 'invalid'],
    ['a malformed RSA key', () => json({ keys: [{ kty: 'RSA', kid: 'x', n: 42 }] }), 'invalid'],
    ['an empty key set', () => json({ keys: [] }), 'invalid'],
    ['only an HMAC key', () => json({ keys: [{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }] }), 'invalid'],
    ['only an encryption key', async () => json({ keys: [{ ...(await testKey('enc', 'RS256')).publicJwk, use: 'enc' }] }), 'invalid'],
    ['HTTP 500', () => new Response('down', { status: 500 }), 'http_error'],
    ['HTTP 404', () => new Response('nope', { status: 404 }), 'http_error'],
    ['no network', networkDown, 'network_error'],
  ] as const)('keeps the last good set when the IdP returns %s', async (_name, handler, outcome) => {
    f.route(JWKS_URI, () => json(jwks(a, b)));
    await sync.sync();
    f.route(JWKS_URI, handler);
    clock.advance(1000);
    const result = await sync.sync();
    expect(result.outcome).toBe(outcome);
    expect(activeKids()).toEqual(['key-a', 'key-b']);
    // The failure is recorded, but the JWKS age still counts from the last good fetch.
    expect(store.lastSuccessfulFetch(ISSUER)?.fetchedAt).toEqual(new Date('2026-06-02T10:00:00Z'));
  });

  it('explains an HMAC-only key set', async () => {
    f.route(JWKS_URI, () => json({ keys: [{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }] }));
    expect((await sync.sync()).detail).toMatch(/symmetric \(HMAC\).*RSA, EC or Ed25519/);
  });

  it('fetches for an unknown kid at most once per 30 s (fake clock)', async () => {
    f.route(JWKS_URI, () => json(jwks(a)));
    expect((await sync.syncForUnknownKid()).outcome).toBe('ok');
    clock.advance(UNKNOWN_KID_MIN_INTERVAL_MS - 1);
    for (let i = 0; i < 5; i++) expect((await sync.syncForUnknownKid()).outcome).toBe('rate_limited');
    expect(f.callsTo(JWKS_URI)).toHaveLength(1);
    clock.advance(1);
    expect((await sync.syncForUnknownKid()).outcome).toBe('ok');
    expect(f.callsTo(JWKS_URI)).toHaveLength(2);
  });

  it('counts a sign-in fetch against the unknown-kid rate limit, and failed attempts too', async () => {
    f.route(JWKS_URI, networkDown);
    await sync.sync('sign-in');
    expect((await sync.syncForUnknownKid()).outcome).toBe('rate_limited');
    expect(sync.requests).toBe(1);
  });

  it('shares one request among concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    f.route(JWKS_URI, async () => {
      await gate;
      return json(jwks(a));
    });
    const results = Promise.all([sync.sync(), sync.sync(), sync.syncForUnknownKid(), sync.syncIfStale()]);
    release();
    expect((await results).map((r) => r?.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(f.callsTo(JWKS_URI)).toHaveLength(1);
  });

  it('is stale before the first good fetch and after jwksRefreshDays', async () => {
    expect(sync.isStale()).toBe(true);
    f.route(JWKS_URI, () => json(jwks(a)));
    await sync.syncIfStale();
    expect(sync.isStale()).toBe(false);
    expect(await sync.syncIfStale()).toBeUndefined();
    clock.advance(7 * 86_400_000 - 1);
    expect(sync.isStale()).toBe(false);
    clock.advance(1);
    expect(sync.isStale()).toBe(true);
    expect((await sync.syncIfStale())?.outcome).toBe('ok');
  });

  it('records a network failure when the JWKS URI itself cannot be discovered offline', async () => {
    const { FieldKeyError } = await import('../../../../src/shared/errors');
    const offline = new JwksSync({
      policy: { issuer: ISSUER, jwksRefreshDays: 7 },
      http: { fetch: f.fetch },
      clock,
      store,
      jwksUri: async () => {
        throw new FieldKeyError('offline', 'no network');
      },
    });
    expect((await offline.sync()).outcome).toBe('network_error');
  });

  describe('bundled jwks.json', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fieldkey-jwks-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('imports a bundled file, and refuses garbage with jwks_invalid', async () => {
      const file = join(dir, 'jwks.json');
      expect(await sync.importBundledFile(file)).toBeUndefined();
      writeFileSync(file, JSON.stringify(jwks(a)));
      expect(await sync.importBundledFile(file)).toMatchObject({ added: 1 });
      expect(activeKids()).toEqual(['key-a']);
      writeFileSync(file, '{ not json');
      await expect(sync.importBundledFile(file)).rejects.toSatisfy((e) => isFieldKeyError(e, 'jwks_invalid'));
      await expect(sync.importBundled({ keys: [{ kty: 'EC' }] })).rejects.toSatisfy((e) => isFieldKeyError(e, 'jwks_invalid'));
    });
  });
});
