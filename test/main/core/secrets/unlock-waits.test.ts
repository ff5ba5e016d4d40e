/**
 * PIN waits on the monotonic clock: a clock whose wall-clock and monotonic readings the test moves
 * separately, with the real vault, keychain (run under scripts/with-keyring.sh) and SQLite file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../../src/main/core/clock';
import { UnlockWaits, wallClockWaitMs } from '../../../../src/main/core/secrets/attempt-counter';
import { SessionVault } from '../../../../src/main/core/secrets/session-vault';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { FAST_PARAMS, fixedParams, testPolicy, tokens, uniqueService, VaultFixture } from './vault-fixtures';

const service = uniqueService('waits');
const PIN = '482915';
const WRONG = '555123';
const alice = { issuer: 'https://idp.example', subject: 'alice-sub', displayName: 'Alice Tech', email: null };

/** Wall clock and monotonic clock, moved separately. A new one is a new process: monotonic from zero. */
class TwoClocks implements Clock {
  constructor(
    public wallMs = Date.UTC(2026, 0, 5, 8, 0, 0),
    public monoMs = 0,
  ) {}
  now(): Date {
    return new Date(this.wallMs);
  }
  monotonicMs(): number {
    return this.monoMs;
  }
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'unlocked';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('PIN waits on the vault', () => {
  let f: VaultFixture;
  let id: string;
  let clock: TwoClocks;
  let vault: SessionVault;

  const startVault = (c: TwoClocks): SessionVault =>
    new SessionVault({ db: f.db, secrets: f.secrets, clock: c, policy: testPolicy, argon2: fixedParams(FAST_PARAMS) });

  /** Closes everything and starts again, as quitting and relaunching FieldKey does. */
  async function restart(c: TwoClocks): Promise<void> {
    await vault.settle();
    f.db.close();
    f.db = openDatabase(f.file);
    clock = c;
    vault = startVault(c);
    f.vault = vault;
  }

  beforeEach(async () => {
    f = new VaultFixture(service);
    id = f.vault.addAccount(alice).id;
    await f.vault.createSession(id, PIN, tokens);
    f.vault.lock(id);
    clock = new TwoClocks();
    vault = startVault(clock);
    for (let i = 0; i < 3; i++) expect(await code(vault.unlock(id, WRONG))).toBe('wrong_pin');
    // Three failures: the next attempt waits 30 s.
  });
  afterEach(() => f.cleanup());

  it('is not released by a wall clock moved forward during the wait', async () => {
    clock.wallMs += 24 * 3_600_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlock_delayed');
    clock.monoMs += 29_999;
    expect(await code(vault.unlock(id, PIN))).toBe('unlock_delayed');
    clock.monoMs += 1;
    expect(await code(vault.unlock(id, PIN))).toBe('unlocked');
  });

  it('is not lengthened by a wall clock moved back, and dates retryAt from the wall clock now', async () => {
    clock.monoMs += 10_000;
    clock.wallMs -= 3_600_000;
    const status = await vault.attemptStatus(id);
    expect(status.retryAt).toEqual(new Date(clock.wallMs + 20_000));
    clock.monoMs += 20_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlocked');
  });

  it('measures the wait from the start of the failed attempt', async () => {
    expect(await vault.attemptStatus(id)).toMatchObject({ failures: 3, retryAt: new Date(clock.wallMs + 30_000) });
    clock.monoMs += 30_000;
    expect(await code(vault.unlock(id, WRONG))).toBe('wrong_pin');
    // Four failures: 60 s, even if the wall clock jumps by a day while the attempt runs.
    clock.wallMs += 24 * 3_600_000;
    clock.monoMs += 59_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlock_delayed');
    clock.monoMs += 1_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlocked');
  });

  it('is never shorter after a restart than the time still owed, whatever the wall clock says', async () => {
    clock.monoMs += 20_000; // 10 s still owed
    // Restart with the wall clock a day later: the new process's monotonic clock starts again.
    await restart(new TwoClocks(clock.wallMs + 24 * 3_600_000, 0));
    expect(await vault.attemptStatus(id)).toMatchObject({ failures: 3, retryAt: new Date(clock.wallMs + 30_000) });
    clock.monoMs += 10_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlock_delayed');
    clock.monoMs += 20_000;
    expect(await code(vault.unlock(id, PIN))).toBe('unlocked');
  });

  it('owes the whole wait again after a restart in the middle of it, from the restart on', async () => {
    clock.monoMs += 25_000;
    await restart(new TwoClocks(clock.wallMs, 5_000_000));
    // Nothing is read before the first attempt: the wait still runs from the restart.
    clock.monoMs += 29_999;
    expect(await code(vault.unlock(id, PIN))).toBe('unlock_delayed');
    clock.monoMs += 1;
    expect(await code(vault.unlock(id, PIN))).toBe('unlocked');
  });
});

describe('UnlockWaits', () => {
  it('owes nothing for fewer than three failures, and the delay from the counted attempt after', () => {
    let mono = 100;
    const waits = new UnlockWaits(() => mono);
    expect(waits.remainingMs('a', 2)).toBe(0);
    waits.counted('a', 3, 100);
    mono = 110;
    expect(waits.remainingMs('a', 3)).toBe(29_990);
    mono = 130_100;
    expect(waits.remainingMs('a', 3)).toBe(0);
    waits.counted('a', 4, mono);
    expect(waits.remainingMs('a', 4)).toBe(60_000);
    // Another account is independent.
    mono += 10_000;
    waits.counted('b', 3, mono);
    expect(waits.remainingMs('b', 3)).toBe(30_000);
    expect(waits.remainingMs('a', 4)).toBe(50_000);
  });

  it('owes the whole wait from the start of the run for a count it did not make (an earlier run, a restored count)', () => {
    let mono = 5_000;
    const waits = new UnlockWaits(() => mono);
    mono = 25_000;
    expect(waits.remainingMs('a', 3)).toBe(10_000);
    waits.counted('a', 3, 25_000);
    mono = 45_000;
    // The keychain mirror shows more failures than this run counted: made before the run started.
    expect(waits.remainingMs('a', 5)).toBe(5_000 + 120_000 - 45_000);
  });

  it('estimates the wait from the stored wall-clock instant for reports from outside the app', () => {
    expect(wallClockWaitMs({ failures: 3, lastAttemptMs: 1_000 }, 11_000)).toBe(20_000);
    expect(wallClockWaitMs({ failures: 3, lastAttemptMs: 1_000 }, 40_000)).toBe(0);
    expect(wallClockWaitMs({ failures: 2, lastAttemptMs: 1_000 }, 1_000)).toBe(0);
  });
});
