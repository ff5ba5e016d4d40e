/**
 * A PIN with a space, sealed by an older FieldKey (which let spaces count toward the length), still
 * unlocks after the whitespace rule; it is refused only as a new PIN. The older FieldKey is played
 * by this file's PIN rules accepting any text while the session is sealed; the vault, the keychain
 * (run under scripts/with-keyring.sh) and the SQLite file are real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as PinPolicy from '../../../../src/main/core/secrets/pin-policy';
import { tokens, uniqueService, VaultFixture } from './vault-fixtures';

const rules = vi.hoisted(() => ({ olderFieldKey: false }));

vi.mock('../../../../src/main/core/secrets/pin-policy', async (importOriginal) => {
  const actual: typeof PinPolicy = await importOriginal<typeof PinPolicy>();
  return {
    ...actual,
    assertPinAllowed: (pin: unknown, pinRules: PinPolicy.PinRules) => {
      if (rules.olderFieldKey && typeof pin === 'string') return;
      actual.assertPinAllowed(pin, pinRules);
    },
  };
});

const service = uniqueService('legacy-pin');
const SPACED_PIN = '4829 1';
const NEW_PIN = '730264';
const alice = { issuer: 'https://idp.example', subject: 'alice-sub', displayName: 'Alice Tech', email: null };

describe('a sealed PIN with a space', () => {
  let f: VaultFixture;
  let id: string;

  beforeEach(async () => {
    f = new VaultFixture(service);
    id = f.vault.addAccount(alice).id;
    rules.olderFieldKey = true;
    try {
      await f.vault.createSession(id, SPACED_PIN, tokens);
    } finally {
      rules.olderFieldKey = false;
    }
    f.vault.lock(id);
    await f.restart();
  });
  afterEach(() => f.cleanup());

  it('still unlocks the session it sealed', async () => {
    const session = await f.vault.unlock(id, SPACED_PIN);
    expect(session.tokens()).toEqual(tokens);
  });

  it('cannot be chosen again, and can be changed to a PIN without spaces', async () => {
    await expect(f.vault.changePin(id, SPACED_PIN, '4829 7')).rejects.toMatchObject({ code: 'pin_whitespace' });
    await expect(f.vault.createSession(id, 'tr4ctor 91', tokens)).rejects.toMatchObject({ code: 'pin_whitespace' });
    // The refusal used no attempt and left the old PIN working.
    const changed = await f.vault.changePin(id, SPACED_PIN, NEW_PIN);
    expect(changed.tokens()).toEqual(tokens);
    f.vault.lock(id);
    await expect(f.vault.unlock(id, SPACED_PIN)).rejects.toMatchObject({ code: 'wrong_pin' });
    expect((await f.vault.unlock(id, NEW_PIN)).tokens()).toEqual(tokens);
  });
});
