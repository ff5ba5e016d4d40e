/**
 * Timing full vault unlocks for the bench suites: a sealed account in a real SQLite file and the OS
 * keychain, with fixed Argon2id parameters, and interleaved paired samples of two timed tasks.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/main/core/clock';
import type { Argon2Params } from '../src/main/core/secrets/argon2-params';
import type { SecretStore } from '../src/main/core/secrets/secret-store';
import { SessionVault } from '../src/main/core/secrets/session-vault';
import type { Database } from '../src/main/adapters/sqlite/database';
import { median } from './harness';

export const PIN = '482915';
export const tokens = {
  accessToken: 'a'.repeat(900),
  idToken: 'i'.repeat(1100),
  refreshToken: 'r'.repeat(64),
  tokenType: 'Bearer',
  scope: 'openid offline_access',
  expiresAt: 1_767_600_000,
};

/** The short pause before every timed section (see `pairedSamples`). */
export const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25));

export const describeParams = (p: Argon2Params): string => `m=${p.memoryKiB} KiB, t=${p.iterations}, p=${p.parallelism}`;

export interface SealedAccount {
  /** One timed unlock, "PIN in, tokens out"; the lock and the queued keychain clean-up run after it, untimed. */
  unlockTimed(): Promise<number>;
  remove(): Promise<void>;
}

/** An account sealed under exactly `params` (checked in its row), ready to be unlocked again and again. */
export async function sealedAccount(db: Database, secrets: SecretStore, params: Argon2Params, subject: string): Promise<SealedAccount> {
  const vault = new SessionVault({
    db,
    secrets,
    clock: systemClock,
    policy: { pin: { minLength: 6, maxAttempts: 5 }, maxAccounts: 3 },
    argon2: { current: async () => ({ ...params }), peek: () => ({ ...params }) },
  });
  const id = vault.addAccount({ issuer: 'https://idp.example', subject, displayName: 'Bench' }).id;
  await vault.createSession(id, PIN, tokens);
  vault.lock(id);
  const stored = db
    .prepare('SELECT kdf_memory_kib AS m, kdf_iterations AS t, kdf_parallelism AS p FROM sealed_sessions WHERE account_id = ?')
    .get(id);
  if (JSON.stringify(stored) !== JSON.stringify({ m: params.memoryKiB, t: params.iterations, p: params.parallelism })) {
    throw new Error('sealed with other parameters');
  }
  return {
    async unlockTimed() {
      await pause();
      const start = performance.now();
      const session = await vault.unlock(id, PIN);
      const refreshToken = session.tokens().refreshToken;
      const elapsed = performance.now() - start;
      if (refreshToken !== tokens.refreshToken) throw new Error('unlock returned other tokens');
      vault.lock(id);
      await vault.settle();
      return elapsed;
    },
    remove: () => vault.removeAccount(id),
  };
}

/**
 * Interleaved samples of two timed tasks (each returns its own elapsed ms), like harness.compare,
 * with the order inside each pair alternating so neither position has an advantage. Each timed
 * section should start after `pause()`: back to back, an Argon2id run with hundreds of MiB is a few
 * per cent slower while the previous run's memory is still being returned to the system.
 */
export async function pairedSamples(
  candidate: () => Promise<number>,
  baseline: () => Promise<number>,
  options: { samples: number; warmup: number },
): Promise<{ candidate: number; baseline: number; overhead: number }> {
  for (let i = 0; i < options.warmup; i++) {
    await candidate();
    await baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    if (i % 2 === 0) {
      a.push(await candidate());
      b.push(await baseline());
    } else {
      b.push(await baseline());
      a.push(await candidate());
    }
  }
  return {
    candidate: median(a),
    baseline: median(b),
    // Each candidate sample minus the baseline sample of its pair: robust to load drifting.
    overhead: median(a.map((c, i) => c - b[i]!)),
  };
}
