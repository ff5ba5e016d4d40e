import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscoveryCache } from '../../../../src/main/core/records/discovery-cache';
import { movableClock, openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

let t: TempDatabase;
let clock: ReturnType<typeof movableClock>;
let cache: DiscoveryCache;

beforeEach(() => {
  t = openTempDatabase();
  clock = movableClock('2025-03-01T10:00:00Z');
  cache = new DiscoveryCache(t.db, clock);
});
afterEach(() => t.cleanup());

describe('DiscoveryCache', () => {
  it('saves, loads and replaces one document per issuer', () => {
    expect(cache.load('https://idp')).toBeUndefined();
    const first = { issuer: 'https://idp', token_endpoint: 'https://idp/token', scopes_supported: ['openid'] };
    cache.save('https://idp', first);
    cache.save('acme.com', { issuer: 'acme.com' });
    expect(cache.load('https://idp')).toEqual({ document: first, fetchedAt: new Date('2025-03-01T10:00:00Z') });

    clock.advance(3_600_000);
    const second = { issuer: 'https://idp', token_endpoint: 'https://idp/oauth2/token' };
    cache.save('https://idp', second);
    expect(cache.load('https://idp')).toEqual({ document: second, fetchedAt: new Date('2025-03-01T11:00:00Z') });
    expect(cache.load('acme.com')!.document).toEqual({ issuer: 'acme.com' });
    expect((t.db.prepare(`SELECT count(*) AS n FROM discovery_cache`).get() as { n: number }).n).toBe(2);
  });

  it.each([[null], [[1, 2]], ['text']])('refuses %j as a document', (doc) => {
    expect(() => cache.save('https://idp', doc as unknown as Record<string, unknown>)).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
