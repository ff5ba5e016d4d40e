import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNING_ALGS, SigningKeyStore } from '../../idp/signing-keys';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-idp-keys-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('demo IdP signing keys', () => {
  it('generates one private key per algorithm on first open, 0600, and loads the same ones again', async () => {
    const first = await SigningKeyStore.open(dir);
    expect(first.privateKeys.map((key) => key.alg)).toEqual([...SIGNING_ALGS]);
    for (const key of first.privateKeys) expect(key).toMatchObject({ use: 'sig', d: expect.any(String) });
    const file = join(dir, 'jwks.private.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = await SigningKeyStore.open(dir);
    expect(again.privateKeys).toEqual(first.privateKeys);
  });

  it('publishes public members only', async () => {
    const store = await SigningKeyStore.open(dir);
    for (const key of store.publicKeys) {
      expect(Object.keys(key).every((member) => ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'].includes(member))).toBe(true);
    }
  });

  it.each(SIGNING_ALGS)('rotating %s puts a new key first, keeps the old one, and persists', async (alg) => {
    const store = await SigningKeyStore.open(dir);
    const oldKid = store.currentKid(alg);
    const newKid = await store.rotate(alg);
    expect(newKid).not.toBe(oldKid);
    expect(store.privateKeys[0]?.kid).toBe(newKid);
    expect(store.currentKid(alg)).toBe(newKid);
    expect(store.publicKeys.map((key) => key.kid)).toContain(oldKid);
    expect((await SigningKeyStore.open(dir)).currentKid(alg)).toBe(newKid);
  });

  it('refuses a keys file that is not a private signing JWKS', async () => {
    writeFileSync(join(dir, 'jwks.private.json'), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    await expect(SigningKeyStore.open(dir)).rejects.toThrow(/not a private signing JWKS/);
    expect(readFileSync(join(dir, 'jwks.private.json'), 'utf8')).toContain('oct');
  });
});
