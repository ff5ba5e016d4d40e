/**
 * `unlock-lanes`: a full unlock sealed with the lanes new seals use (`defaultArgon2Lanes()`: one
 * per hardware thread, at most 4) against the same unlock sealed with p = 1, at the same memory and
 * passes, interleaved in one run: 256 MiB and t = 2, about what calibration picks for a 500 ms
 * unlock on a laptop, so Argon2id, not the keychain, is most of each unlock, and fixed so runs on a
 * loaded machine stay comparable. Needs the OS keychain: run inside scripts/with-keyring.sh
 * (`npm run bench -- unlock-lanes` does).
 *
 * Entries: `unlock-lanes` (ms, ratio against `unlock-p1`) and `unlock-p1` (ms). With two or more
 * free cores the ratio is well below 1: the same memory cost for every PIN guess, in less wall time
 * for the technician.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultArgon2Lanes, type Argon2Params } from '../src/main/core/secrets/argon2-params';
import { createKeytarSecretStore } from '../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase } from '../src/main/adapters/sqlite/database';
import type { BenchResult } from './harness';
import { describeParams, pairedSamples, sealedAccount } from './vault-unlock';

const MEMORY: Omit<Argon2Params, 'parallelism'> = { memoryKiB: 256 * 1024, iterations: 2 };

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-lanes-'));
  const secrets = createKeytarSecretStore({ service: `FieldKey-bench-lanes-${process.pid}` });
  const db = openDatabase(join(dir, 'fieldkey.db'));
  try {
    const single: Argon2Params = { ...MEMORY, parallelism: 1 };
    const laned: Argon2Params = { ...MEMORY, parallelism: defaultArgon2Lanes() };
    const withLanes = await sealedAccount(db, secrets, laned, 'lanes');
    const withOne = await sealedAccount(db, secrets, single, 'p1');
    const result = await pairedSamples(
      () => withLanes.unlockTimed(),
      () => withOne.unlockTimed(),
      { samples: 20, warmup: 2 },
    );
    await withLanes.remove();
    await withOne.remove();
    return [
      {
        name: 'unlock-lanes',
        median: result.candidate,
        unit: 'ms',
        ratio: result.candidate / result.baseline,
        baseline: 'unlock-p1',
        note: `${describeParams(laned)} (${availableParallelism()} hardware threads) against ${describeParams(single)}`,
      },
      { name: 'unlock-p1', median: result.baseline, unit: 'ms', note: describeParams(single) },
    ];
  } finally {
    db.close();
    for (const entry of await secrets.list()) await secrets.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  }
}
