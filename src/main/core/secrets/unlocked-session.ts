/**
 * An unlocked session: the account's tokens and the key material to re-seal them, in main-process
 * memory only. Created by the `SessionVault` (unlock, new session, change PIN); `lock()` zeroes the
 * keys and drops the tokens. Never send this object, its tokens or its keys to the renderer.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { SessionKeys } from './session-crypto';
import type { SessionTokens } from './session-tokens';

export type ResealFn = (keys: SessionKeys, tokens: SessionTokens) => Promise<void>;

export class UnlockedSession {
  readonly accountId: string;
  #keys: SessionKeys;
  #tokens: SessionTokens;
  readonly #reseal: ResealFn;

  /** @internal the vault creates these */
  constructor(keys: SessionKeys, tokens: SessionTokens, reseal: ResealFn) {
    this.accountId = keys.accountId;
    this.#keys = keys;
    this.#tokens = structuredClone(tokens);
    this.#reseal = reseal;
  }

  get isLocked(): boolean {
    return this.#keys.isDestroyed;
  }

  /** A copy of the tokens. */
  tokens(): SessionTokens {
    this.assertUnlocked();
    return structuredClone(this.#tokens);
  }

  /**
   * Seals new tokens without the PIN (fresh seal salt and nonce) and resolves once they are
   * durably in the database; e.g. a rotated refresh token, before it is used.
   */
  async reseal(tokens: SessionTokens): Promise<void> {
    this.assertUnlocked();
    const copy = structuredClone(tokens);
    await this.#reseal(this.#keys, copy);
    this.#tokens = copy;
  }

  /** Zeroes the key material and drops the tokens. Idempotent. */
  lock(): void {
    this.#keys.destroy();
    this.#tokens = {};
  }

  private assertUnlocked(): void {
    if (this.#keys.isDestroyed) throw new FieldKeyError('session_locked', 'The session is locked; unlock it with the PIN first.');
  }
}
