import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOidcStore, type OidcStore } from '../../idp/sqlite-adapter';

let dir: string;
let file: string;
let now: number;
let store: OidcStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-idp-store-'));
  file = join(dir, 'idp.sqlite');
  now = Date.UTC(2026, 0, 1);
  store = openOidcStore(file, () => now);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('oidc-provider SQLite adapter', () => {
  it('stores a payload and finds it until it expires', async () => {
    const tokens = store.adapterFor('RefreshToken');
    await tokens.upsert('rt1', { jti: 'rt1', grantId: 'g1', accountId: 'a1' }, 60);
    expect(await tokens.find('rt1')).toEqual({ jti: 'rt1', grantId: 'g1', accountId: 'a1' });
    now += 59_000;
    expect(await tokens.find('rt1')).toBeDefined();
    now += 1_000;
    expect(await tokens.find('rt1')).toBeUndefined();
  });

  it('keeps a payload without expiry and replaces it on upsert', async () => {
    const grants = store.adapterFor('Grant');
    await grants.upsert('g1', { jti: 'g1', accountId: 'a1' });
    await grants.upsert('g1', { jti: 'g1', accountId: 'a1', openid: { scope: 'openid' } });
    now += 10 * 365 * 24 * 3600 * 1000;
    expect(await grants.find('g1')).toEqual({ jti: 'g1', accountId: 'a1', openid: { scope: 'openid' } });
  });

  it('keeps models apart under the same id', async () => {
    await store.adapterFor('AccessToken').upsert('x', { kind: 'AccessToken' }, 60);
    await store.adapterFor('RefreshToken').upsert('x', { kind: 'RefreshToken' }, 60);
    expect(await store.adapterFor('AccessToken').find('x')).toEqual({ kind: 'AccessToken' });
    expect(await store.adapterFor('RefreshToken').find('x')).toEqual({ kind: 'RefreshToken' });
  });

  it.each([
    ['findByUid', 'Session', { uid: 'u1', accountId: 'a1' }, 'u1'],
    ['findByUserCode', 'DeviceCode', { userCode: 'ABCD-EFGH', grantId: 'g1' }, 'ABCD-EFGH'],
  ] as const)('%s finds by its secondary key within the model', async (method, model, payload, key) => {
    const adapter = store.adapterFor(model);
    await adapter.upsert('id1', { ...payload }, 60);
    expect(await adapter[method](key)).toEqual(payload);
    expect(await store.adapterFor('Other')[method](key)).toBeUndefined();
    now += 61_000;
    expect(await adapter[method](key)).toBeUndefined();
  });

  it('marks a token consumed with the time in seconds, keeping the rest', async () => {
    const tokens = store.adapterFor('RefreshToken');
    await tokens.upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 60);
    await tokens.consume('rt1');
    expect(await tokens.find('rt1')).toEqual({ jti: 'rt1', grantId: 'g1', consumed: now / 1000 });
  });

  it('revokes by grant id only within its own model and grant', async () => {
    const refresh = store.adapterFor('RefreshToken');
    const access = store.adapterFor('AccessToken');
    await refresh.upsert('rt1', { grantId: 'g1' }, 60);
    await refresh.upsert('rt2', { grantId: 'g2' }, 60);
    await access.upsert('at1', { grantId: 'g1' }, 60);
    await refresh.revokeByGrantId('g1');
    expect(await refresh.find('rt1')).toBeUndefined();
    expect(await refresh.find('rt2')).toBeDefined();
    expect(await access.find('at1')).toBeDefined();
  });

  it('destroys one instance', async () => {
    const sessions = store.adapterFor('Session');
    await sessions.upsert('s1', { uid: 'u1' }, 60);
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  it('sweeps expired rows and deletes everything of one account', async () => {
    await store.adapterFor('AccessToken').upsert('at1', { accountId: 'a1' }, 10);
    await store.adapterFor('RefreshToken').upsert('rt1', { accountId: 'a1', grantId: 'g1' }, 1000);
    await store.adapterFor('Grant').upsert('g1', { accountId: 'a1' }, 1000);
    await store.adapterFor('Grant').upsert('g2', { accountId: 'a2' }, 1000);
    now += 11_000;
    expect(store.sweepExpired()).toBe(1);
    expect(store.deleteAccount('a1')).toBe(2);
    expect(await store.adapterFor('Grant').find('g2')).toBeDefined();
  });

  it('persists across reopening the file, which is owner-only', async () => {
    await store.adapterFor('Grant').upsert('g1', { accountId: 'a1' }, 1000);
    store.close();
    store = openOidcStore(file, () => now);
    expect(await store.adapterFor('Grant').find('g1')).toEqual({ accountId: 'a1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('refresh token reuse grace window', () => {
  let graceStore: OidcStore;
  beforeEach(() => {
    graceStore = openOidcStore(join(dir, 'grace.sqlite'), () => now, { refreshReuseGraceSeconds: 30 });
  });
  afterEach(() => graceStore.close());

  /** rt1 rotated into rt2 now, as oidc-provider's refresh grant does it. */
  async function rotate(store: OidcStore): Promise<void> {
    const tokens = store.adapterFor('RefreshToken');
    await tokens.upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 3600);
    await tokens.consume('rt1');
    await tokens.upsert('rt2', { jti: 'rt2', grantId: 'g1' }, 3600);
    store.recordRotation('rt1', 'rt2');
  }

  it('finds a just-rotated token as its unused successor inside the window only', async () => {
    await rotate(graceStore);
    const tokens = graceStore.adapterFor('RefreshToken');
    expect(await tokens.find('rt1')).toEqual({ jti: 'rt2', grantId: 'g1' });
    now += 29_000;
    expect(await tokens.find('rt1')).toEqual({ jti: 'rt2', grantId: 'g1' });
    now += 1_000;
    expect(await tokens.find('rt1')).toMatchObject({ jti: 'rt1', consumed: expect.any(Number) });
    expect(graceStore.sweepExpired()).toBe(1);
  });

  it('finds the spent token as stored once its successor is used or gone', async () => {
    await rotate(graceStore);
    const tokens = graceStore.adapterFor('RefreshToken');
    await tokens.consume('rt2');
    expect(await tokens.find('rt1')).toMatchObject({ jti: 'rt1', consumed: expect.any(Number) });
    await tokens.revokeByGrantId('g1');
    expect(await tokens.find('rt1')).toBeUndefined();
  });

  it('keeps no window without the option: a spent token is always found spent', async () => {
    await rotate(store);
    expect(await store.adapterFor('RefreshToken').find('rt1')).toMatchObject({ jti: 'rt1', consumed: expect.any(Number) });
  });
});
