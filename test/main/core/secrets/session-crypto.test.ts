import { describe, expect, it } from 'vitest';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import {
  decodeDeviceKey,
  deriveSessionKeys,
  encodeDeviceKey,
  generateDeviceKey,
  newKdfSalt,
  openTokens,
  pinMatches,
  rowMacValid,
  sealTokens,
  type SealedEnvelope,
} from '../../../../src/main/core/secrets/session-crypto';
import { FAST_PARAMS, tokens } from './vault-fixtures';

const account = accountIdFor('https://idp.example', 'alice');
const other = accountIdFor('https://idp.example', 'bob');

async function sealed(pin = '482915') {
  const deviceKey = generateDeviceKey();
  const keys = await deriveSessionKeys(pin, deviceKey, account, FAST_PARAMS, newKdfSalt());
  return { deviceKey, keys, envelope: sealTokens(keys, tokens, 1_767_600_000_000) };
}

const flip = (b: Buffer, i = 0) => {
  const copy = Buffer.from(b);
  copy[i]! ^= 0x01;
  return copy;
};

describe('session crypto', () => {
  it('round-trips the tokens and records what is needed to open them', async () => {
    const { deviceKey, envelope } = await sealed();
    expect(envelope).toMatchObject({ sealedFor: account, format: 1, kdf: FAST_PARAMS, sealedAt: 1_767_600_000_000 });
    expect([envelope.kdfSalt.length, envelope.sealSalt.length, envelope.nonce.length, envelope.verifier.length]).toEqual([16, 16, 12, 32]);
    expect(envelope.ciphertext.includes(Buffer.from(tokens.refreshToken))).toBe(false);
    const again = await deriveSessionKeys('482915', deviceKey, account, envelope.kdf, envelope.kdfSalt);
    expect(rowMacValid(envelope, deviceKey, account)).toBe(true);
    expect(pinMatches(again, envelope)).toBe(true);
    expect(openTokens(again, envelope)).toEqual(tokens);
  });

  it('uses a fresh seal salt and nonce on every seal with the same keys', async () => {
    const { keys, envelope } = await sealed();
    const second = sealTokens(keys, tokens, envelope.sealedAt);
    expect(second.sealSalt.equals(envelope.sealSalt)).toBe(false);
    expect(second.nonce.equals(envelope.nonce)).toBe(false);
    expect(second.ciphertext.equals(envelope.ciphertext)).toBe(false);
    expect(second.verifier.equals(envelope.verifier)).toBe(true);
  });

  it('tells a wrong PIN (verifier) from a modified ciphertext (GCM tag)', async () => {
    const { deviceKey, envelope } = await sealed();
    const wrong = await deriveSessionKeys('482916', deviceKey, account, envelope.kdf, envelope.kdfSalt);
    expect(pinMatches(wrong, envelope)).toBe(false);

    const right = await deriveSessionKeys('482915', deviceKey, account, envelope.kdf, envelope.kdfSalt);
    for (const field of ['ciphertext', 'nonce', 'sealSalt'] as const) {
      const modified: SealedEnvelope = { ...envelope, [field]: flip(envelope[field]) };
      expect(pinMatches(right, modified)).toBe(true);
      expect(() => openTokens(right, modified)).toThrow(expect.objectContaining({ code: 'session_tampered' }));
      expect(rowMacValid(modified, deviceKey, account)).toBe(false);
    }
    const lastTagByte = { ...envelope, ciphertext: flip(envelope.ciphertext, envelope.ciphertext.length - 1) };
    expect(() => openTokens(right, lastTagByte)).toThrow(expect.objectContaining({ code: 'session_tampered' }));
  });

  it('needs the device key: another device key fails the row MAC and the PIN check', async () => {
    const { envelope } = await sealed();
    const otherKey = generateDeviceKey();
    expect(rowMacValid(envelope, otherKey, account)).toBe(false);
    const keys = await deriveSessionKeys('482915', otherKey, account, envelope.kdf, envelope.kdfSalt);
    expect(pinMatches(keys, envelope)).toBe(false);
  });

  it('binds the account id: the same PIN and device key for another account open nothing', async () => {
    const { deviceKey, envelope } = await sealed();
    expect(rowMacValid(envelope, deviceKey, other)).toBe(false);
    const keys = await deriveSessionKeys('482915', deviceKey, other, envelope.kdf, envelope.kdfSalt);
    expect(pinMatches(keys, { ...envelope, sealedFor: other })).toBe(false);
    expect(() => openTokens(keys, { ...envelope, sealedFor: other })).toThrow(expect.objectContaining({ code: 'session_tampered' }));
  });

  it('zeroes the key material on destroy and refuses to use it afterwards', async () => {
    const { keys, envelope } = await sealed();
    const { root, macKey } = keys.material();
    expect(root.some((b) => b !== 0)).toBe(true);
    keys.destroy();
    expect(root.every((b) => b === 0)).toBe(true);
    expect(macKey.every((b) => b === 0)).toBe(true);
    expect(() => sealTokens(keys, tokens, 0)).toThrow(expect.objectContaining({ code: 'session_locked' }));
    expect(() => openTokens(keys, envelope)).toThrow(expect.objectContaining({ code: 'session_locked' }));
  });

  it('treats canonically equivalent PINs as equal (NFC) and everything else as typed', async () => {
    const deviceKey = generateDeviceKey();
    const salt = newKdfSalt();
    const composed = await deriveSessionKeys('caf\u00e9-2024', deviceKey, account, FAST_PARAMS, salt);
    const envelope = sealTokens(composed, tokens, 0);
    const decomposed = await deriveSessionKeys('cafe\u0301-2024', deviceKey, account, FAST_PARAMS, salt);
    expect(pinMatches(decomposed, envelope)).toBe(true);
    for (const variant of ['CAF\u00c9-2024', ' caf\u00e9-2024', 'caf\u00e9-2024 ']) {
      expect(pinMatches(await deriveSessionKeys(variant, deviceKey, account, FAST_PARAMS, salt), envelope)).toBe(false);
    }
  });

  it.each([
    ['a valid key', (k: Buffer) => encodeDeviceKey(k), true],
    ['too short', (k: Buffer) => k.subarray(0, 16).toString('base64'), false],
    ['not base64', () => 'not a key', false],
    ['empty', () => '', false],
  ])('decodes device keys: %s', (_name, make, ok) => {
    const key = generateDeviceKey();
    const decoded = decodeDeviceKey(make(key));
    expect(decoded !== undefined).toBe(ok);
    if (ok) expect(decoded!.equals(key)).toBe(true);
  });
});
