/**
 * Dropping an unlocked account's key material (DESIGN.md section 3: lock drops it). The state is
 * locked at once; the vault zeroes the key at once too, unless a refresh is in flight: then only
 * once that refresh has sealed its rotated refresh token (already spent at the IdP, so dropping the
 * key first would lose the session). That wait is bounded by the HTTP timeout. Unlocking or sealing
 * the same account again waits for its release first.
 */
import type { SessionVault } from '../secrets/session-vault';
import type { AccountSession } from './account-session';

export class KeyRelease {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly vault: Pick<SessionVault, 'lock'>) {}

  release(active: AccountSession): void {
    active.stop();
    const id = active.accountId;
    if (!active.refreshing) {
      this.vault.lock(id);
      return;
    }
    const done: Promise<void> = active
      .idle()
      .then(() => this.vault.lock(id))
      .finally(() => {
        if (this.pending.get(id) === done) this.pending.delete(id);
      });
    this.pending.set(id, done);
  }

  /** Resolves once the account's key is released (immediately when nothing is pending). */
  async released(accountId: string): Promise<void> {
    await this.pending.get(accountId);
  }

  async all(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
  }
}
