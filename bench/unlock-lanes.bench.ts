/**
 * `unlock-lanes`: a full unlock sealed with the lanes new seals use (`defaultArgon2Lanes()`: one
 * per hardware thread, at most 4) against the same unlock sealed with p = 1, at the same memory and
 * passes, interleaved in one run. The memory is what calibration with p = 1 picks here for a 500 ms
 * unlock (what a calibrated session sealed before lanes has), so Argon2id, not the keychain, is
 * most of each unlock. Needs the OS keychain: run inside scripts/with-keyring.sh
 * (`npm run bench -- unlock-lanes` does).
 *
 * Entries: `unlock-lanes` (ms, ratio against `unlock-p1`) and `unlock-p1` (ms). With two or more
 * free cores the ratio is well below 1: the same memory cost for every PIN guess, in less wall time
 * for the technician.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultArgon2Lanes, type Argon2Params } from '../src/main/secrets/argon2-params';
import { calibrateArgon2 } from '../src/main/secrets/kdf-calibration';
import { createKeytarSecretStore } from '../src/main/secrets/keytar-secret-store';
import { openDatabase } from '../src/main/storage/database';
import type { BenchResult } from './harness';
import { describeParams, pairedSamples, sealedAccount } from './vault-unlock';

const TARGET_MS = 500;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-lanes-'));
  const secrets = createKeytarSecretStore({ service: `FieldKey-bench-lanes-${process.pid}` });
  const db = openDatabase(join(dir, 'fieldkey.db'));
  try {
    const single: Argon2Params = await calibrateArgon2(TARGET_MS, { lanes: 1 });
    const laned: Argon2Params = { ...single, parallelism: defaultArgon2Lanes() };
    const withLanes = await sealedAccount(db, secrets, laned, 'lanes');
    const withOne = await sealedAccount(db, secrets, single, 'p1');
    const result = await pairedSamples(() => withLanes.unlockTimed(), () => withOne.unlockTimed(), { samples: 20, warmup: 2 });
    await withLanes.remove();
    await withOne.remove();
    return [
      {
        name: 'unlock-lanes',
        median: result.candidate,
        unit: 'ms',
        ratio: result.candidate / result.baseline,
        baseline: 'unlock-p1',
        note: `${describeParams(laned)} (${availableParallelism()} hardware threads) against ${describeParams(single)}, calibrated with p=1 for ${TARGET_MS} ms`,
      },
      { name: 'unlock-p1', median: result.baseline, unit: 'ms', note: describeParams(single) },
    ];
  } finally {
    db.close();
    for (const entry of await secrets.list()) await secrets.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  }
}
