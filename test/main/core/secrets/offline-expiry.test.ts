/**
 * The offline token's `exp` kept in clear beside the sealed session (for `fieldkey doctor`): read
 * from the token the policy verifies offline, written by every seal and re-seal of the vault
 * (real SQLite file, real keychain: run under scripts/with-keyring.sh), and never used to unlock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { offlineExpiresAt } from '../../../../src/main/core/secrets/offline-expiry';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import { fixedParams, testPolicy, uniqueService, VaultFixture } from './vault-fixtures';

const service = uniqueService('offline-expiry');
const PIN = '482915';
const OTHER_PIN = '730264';
const alice = { issuer: 'https://idp.example', subject: 'alice-sub', displayName: 'Alice Tech', email: 'alice@example.com' };

const ACCESS_EXP = 1_767_700_000;
const ID_EXP = 1_767_650_000;

/** An unsigned compact JWS with this payload (the vault never verifies; the tokens were verified before sealing). */
function jwt(payload: unknown, rawPayload?: string): string {
  const part = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  return `${part(JSON.stringify({ alg: 'ES256', kid: 'k1' }))}.${rawPayload ?? part(JSON.stringify(payload))}.c2lnbmF0dXJl`;
}

function tokenSet(accessExp: number | undefined, idExp: number | undefined, refreshToken = 'refresh-token-secret-0001'): SessionTokens {
  return {
    accessToken: jwt({ sub: 'alice-sub', ...(accessExp !== undefined && { exp: accessExp }) }),
    idToken: jwt({ sub: 'alice-sub', ...(idExp !== undefined && { exp: idExp }) }),
    refreshToken,
    tokenType: 'Bearer',
  };
}

describe('offlineExpiresAt', () => {
  const both = tokenSet(ACCESS_EXP, ID_EXP);
  const cases: { name: string; tokens: SessionTokens; offlineToken: 'access' | 'id' | undefined; expected: number | null }[] = [
    { name: 'access token', tokens: both, offlineToken: 'access', expected: ACCESS_EXP * 1000 },
    { name: 'ID token', tokens: both, offlineToken: 'id', expected: ID_EXP * 1000 },
    { name: 'unset policy: the access token, as the decision', tokens: both, offlineToken: undefined, expected: ACCESS_EXP * 1000 },
    { name: 'no ID token', tokens: { accessToken: both.accessToken }, offlineToken: 'id', expected: null },
    { name: 'no access token', tokens: { idToken: both.idToken }, offlineToken: 'access', expected: null },
    { name: 'no exp claim', tokens: tokenSet(undefined, ID_EXP), offlineToken: 'access', expected: null },
    { name: 'exp not a number', tokens: { accessToken: jwt({ exp: '1767700000' }) }, offlineToken: 'access', expected: null },
    { name: 'exp beyond any date', tokens: { accessToken: jwt({ exp: 1e300 }) }, offlineToken: 'access', expected: null },
    {
      name: 'fractional exp: whole ms',
      tokens: { accessToken: jwt({ exp: 1_767_700_000.2504 }) },
      offlineToken: 'access',
      expected: 1_767_700_000_250,
    },
    { name: 'not a JWT', tokens: { accessToken: 'opaque-access-token' }, offlineToken: 'access', expected: null },
    { name: 'payload not JSON', tokens: { accessToken: jwt(undefined, 'bm90LWpzb24') }, offlineToken: 'access', expected: null },
    { name: 'token not a string', tokens: { accessToken: 42 } as unknown as SessionTokens, offlineToken: 'access', expected: null },
  ];
  it.each(cases)('$name → $expected', ({ tokens, offlineToken, expected }) => {
    expect(offlineExpiresAt(tokens, offlineToken)).toBe(expected);
  });
});

describe('SessionVault: the stored offline expiry', () => {
  let f: VaultFixture;
  afterEach(() => f.cleanup());

  const stored = (id: string) =>
    (
      f.db.prepare('SELECT offline_expires_at FROM sealed_sessions WHERE account_id = ?').get(id) as
        { offline_expires_at: number | null } | undefined
    )?.offline_expires_at;

  it.each([
    { offlineToken: 'access' as const, expected: ACCESS_EXP * 1000 },
    { offlineToken: 'id' as const, expected: ID_EXP * 1000 },
  ])('writes the $offlineToken token’s exp on a new session, and null for a token without one', async ({ offlineToken, expected }) => {
    f = new VaultFixture(service, undefined, { ...testPolicy, offlineToken });
    const id = f.vault.addAccount(alice).id;
    await f.vault.createSession(id, PIN, tokenSet(ACCESS_EXP, ID_EXP));
    expect(stored(id)).toBe(expected);
    await f.vault.createSession(id, PIN, tokenSet(undefined, undefined));
    expect(stored(id)).toBeNull();
  });

  it('rewrites it on every re-seal: while unlocked, after a PIN change and on a parameter upgrade at unlock', async () => {
    f = new VaultFixture(service, undefined, { ...testPolicy, offlineToken: 'access' });
    const id = f.vault.addAccount(alice).id;
    const session = await f.vault.createSession(id, PIN, tokenSet(ACCESS_EXP, ID_EXP));

    await session.reseal(tokenSet(ACCESS_EXP + 3600, ID_EXP, 'rotated-1'));
    expect(stored(id)).toBe((ACCESS_EXP + 3600) * 1000);
    await f.vault.reseal(id, tokenSet(ACCESS_EXP + 7200, ID_EXP, 'rotated-2'));
    expect(stored(id)).toBe((ACCESS_EXP + 7200) * 1000);

    f.vault.lock(id);
    // Drift the column: a PIN change re-seals the tokens it opened, and writes their exp again.
    f.db.prepare('UPDATE sealed_sessions SET offline_expires_at = NULL WHERE account_id = ?').run(id);
    await f.vault.changePin(id, PIN, OTHER_PIN);
    expect(stored(id)).toBe((ACCESS_EXP + 7200) * 1000);

    f.vault.lock(id);
    f.db.prepare('UPDATE sealed_sessions SET offline_expires_at = 1 WHERE account_id = ?').run(id);
    f.vault = f.newVault(fixedParams({ memoryKiB: 4096, iterations: 2, parallelism: 1 }));
    await f.vault.unlock(id, OTHER_PIN);
    expect(f.db.prepare('SELECT kdf_memory_kib FROM sealed_sessions WHERE account_id = ?').get(id)).toEqual({ kdf_memory_kib: 4096 });
    expect(stored(id)).toBe((ACCESS_EXP + 7200) * 1000);
  });

  it('is advisory: outside the row MAC and never read by an unlock', async () => {
    f = new VaultFixture(service, undefined, { ...testPolicy, offlineToken: 'access' });
    const id = f.vault.addAccount(alice).id;
    const sealed = tokenSet(ACCESS_EXP, ID_EXP);
    await f.vault.createSession(id, PIN, sealed);
    f.vault.lock(id);
    f.db.prepare('UPDATE sealed_sessions SET offline_expires_at = 4102444800000 WHERE account_id = ?').run(id);
    await f.restart();
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(sealed);
    expect(stored(id)).toBe(4_102_444_800_000);
  });
});
