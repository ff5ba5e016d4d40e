/**
 * `unlock`: PIN in, tokens out — keychain reads (device key, counter mirror), the attempt counted
 * in SQLite and the keychain, Argon2id, HKDF, the verifier, AES-256-GCM open, the counter reset —
 * against Argon2id alone (`hashRaw`) with the same parameters, interleaved in one run. Needs the
 * OS keychain: run inside scripts/with-keyring.sh.
 *
 * Entries:
 * - `unlock` (ms, ratio against `argon2id-alone`) with the parameters calibrated for a 500 ms
 *   target on this machine, i.e. what the default policy uses;
 * - `unlock-overhead-floor` (ms): FieldKey's own time in an unlock (the median of each unlock minus
 *   the Argon2id-alone sample just before it) at OWASP's floor parameters, where Argon2id is fastest
 *   and that share is most visible;
 * - `kdf-calibrated-memory-kib` (KiB): the memory cost calibration picks for 500 ms here.
 */
import { hashRaw } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { OWASP_FLOOR, type Argon2Params } from '../src/main/core/secrets/argon2-params';
import { argon2ParamsFromPolicy } from '../src/main/core/secrets/kdf-calibration';
import { createKeytarSecretStore } from '../src/main/adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../src/main/core/secrets/secret-store';
import { openDatabase, type Database } from '../src/main/adapters/sqlite/database';
import type { BenchResult } from './harness';
import { describeParams, pairedSamples, pause, PIN, sealedAccount } from './vault-unlock';

const TARGET_MS = 500;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-unlock-'));
  const secrets = createKeytarSecretStore({ service: `FieldKey-bench-unlock-${process.pid}` });
  const db = openDatabase(join(dir, 'fieldkey.db'));
  try {
    const calibrated = await argon2ParamsFromPolicy({ targetUnlockMs: TARGET_MS }, { db }).current();
    const atTarget = await measureUnlock(db, secrets, calibrated, 'target', { samples: 20, warmup: 2 });
    const atFloor = await measureUnlock(db, secrets, OWASP_FLOOR, 'floor', { samples: 60, warmup: 4 });
    return [
      {
        name: 'unlock',
        median: atTarget.candidate,
        unit: 'ms',
        ratio: atTarget.candidate / atTarget.baseline,
        baseline: 'argon2id-alone',
        note: `Argon2id alone ${atTarget.baseline.toFixed(1)} ms; ${describeParams(calibrated)} (calibrated for ${TARGET_MS} ms)`,
      },
      {
        name: 'unlock-overhead-floor',
        median: atFloor.overhead,
        unit: 'ms',
        note: `median of paired (unlock - Argon2id alone); unlock ${atFloor.candidate.toFixed(2)} ms, Argon2id alone ${atFloor.baseline.toFixed(2)} ms at ${describeParams(OWASP_FLOOR)}`,
      },
      {
        name: 'kdf-calibrated-memory-kib',
        median: calibrated.memoryKiB,
        unit: 'KiB',
        note: `${describeParams(calibrated)} for a ${TARGET_MS} ms target`,
      },
    ];
  } finally {
    db.close();
    for (const entry of await secrets.list()) await secrets.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Full unlocks against Argon2id alone with the same parameters, interleaved. */
async function measureUnlock(
  db: Database,
  secrets: SecretStore,
  params: Argon2Params,
  subject: string,
  options: { samples: number; warmup: number },
): Promise<{ candidate: number; baseline: number; overhead: number }> {
  const account = await sealedAccount(db, secrets, params, subject);
  const salt = randomBytes(16);
  const pin = Buffer.from(PIN);
  const argon2Timed = async () => {
    await pause();
    const start = performance.now();
    await hashRaw(pin, { memoryCost: params.memoryKiB, timeCost: params.iterations, parallelism: params.parallelism, outputLen: 32, salt });
    return performance.now() - start;
  };
  const result = await pairedSamples(() => account.unlockTimed(), argon2Timed, options);
  await account.remove();
  return result;
}
