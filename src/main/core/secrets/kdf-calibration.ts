/**
 * Argon2id calibration: with a policy target unlock time, pick the largest memory cost whose
 * Argon2id run meets the target on this machine, with t = 2 and the lanes new seals use
 * (`defaultArgon2Lanes()`: one per hardware thread, at most 4), never below OWASP's floor
 * (m = 19 MiB, t = 2, p = 1) and never above a memory cap (1 GiB, or an eighth of the machine's RAM
 * if that is less). Fixed parameters in the policy override calibration (raised to the floor); a
 * fixed policy without `parallelism` gets the default lanes, one with it keeps it.
 *
 * Search: time the floor; if it already misses the target, use the floor. Otherwise double the
 * memory while the target is met, then bisect between the last success and the first miss (steps of
 * 1 MiB, at most four probes). Each probe is a cold Argon2id run, as an unlock is; a probe that
 * misses the target is run a second time and the faster run counts, so a moment of load elsewhere
 * on the machine does not shrink the result. The result is
 * cached in memory and in the `kdf_calibration` table, keyed by target, so it runs once per machine
 * and target (a few seconds), not on every seal. A cached result for other lanes (calibrated before
 * lanes were the default, or on other hardware) is calibrated again.
 */
import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../clock';
import type { Argon2Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import { argon2id, atLeastFloor, defaultArgon2Lanes, OWASP_FLOOR, type Argon2Params, type Argon2ParamsSource } from './argon2-params';

const MIB = 1024;
const CALIBRATION_ITERATIONS = 2;
const BISECT_PROBES = 4;

/** The largest memory cost calibration may choose on this machine, in KiB. */
export function maxCalibratedMemoryKiB(totalMemoryBytes: number = totalmem()): number {
  const eighth = Math.floor(totalMemoryBytes / 8 / 1024 / MIB) * MIB;
  return Math.max(OWASP_FLOOR.memoryKiB, Math.min(1024 * MIB, eighth));
}

export interface CalibrateOptions {
  /** Times one Argon2id run with these parameters, in ms (tests pass a model). Default: a real run. */
  timeRun?: (params: Argon2Params) => Promise<number>;
  maxMemoryKiB?: number;
  /** Argon2id lanes to calibrate with. Default: `defaultArgon2Lanes()`. */
  lanes?: number;
}

export async function timeArgon2Run(params: Argon2Params): Promise<number> {
  const start = performance.now();
  const out = await argon2id(Buffer.from('calibration'), randomBytes(16), params);
  const elapsed = performance.now() - start;
  out.fill(0);
  return elapsed;
}

export async function calibrateArgon2(targetMs: number, options: CalibrateOptions = {}): Promise<Argon2Params> {
  const timeRun = options.timeRun ?? timeArgon2Run;
  const maxMemory = Math.max(OWASP_FLOOR.memoryKiB, options.maxMemoryKiB ?? maxCalibratedMemoryKiB());
  const parallelism = options.lanes ?? defaultArgon2Lanes();
  const withMemory = (memoryKiB: number): Argon2Params => ({ memoryKiB, iterations: CALIBRATION_ITERATIONS, parallelism });
  // Load on the machine only makes a run slower: a run that meets the target is believed, a miss is
  // measured once more before it counts.
  const meets = async (memoryKiB: number) =>
    (await timeRun(withMemory(memoryKiB))) <= targetMs || (await timeRun(withMemory(memoryKiB))) <= targetMs;

  let good = OWASP_FLOOR.memoryKiB;
  if (!(await meets(good))) return withMemory(good);
  let bad: number | undefined;
  while (good < maxMemory) {
    const next = Math.min(good * 2, maxMemory);
    if (await meets(next)) good = next;
    else {
      bad = next;
      break;
    }
  }
  for (let probe = 0; bad !== undefined && probe < BISECT_PROBES && bad - good > MIB; probe++) {
    const mid = Math.floor((good + bad) / 2 / MIB) * MIB;
    if (mid <= good) break;
    if (await meets(mid)) good = mid;
    else bad = mid;
  }
  return withMemory(good);
}

export interface PolicyParamsOptions {
  /** Persists calibration results across restarts (the `kdf_calibration` table). */
  db?: Database;
  clock?: Clock;
  calibrate?: (targetMs: number, lanes: number) => Promise<Argon2Params>;
  /** Lanes for new seals when the policy names no parallelism. Default: `defaultArgon2Lanes()`. */
  lanes?: number;
}

/**
 * The production `Argon2ParamsSource`: fixed policy parameters (raised to the floor), or the
 * calibrated parameters for the policy's target, computed once and cached.
 */
export function argon2ParamsFromPolicy(policy: Argon2Policy, options: PolicyParamsOptions = {}): Argon2ParamsSource {
  const lanes = options.lanes ?? defaultArgon2Lanes();
  if (!('targetUnlockMs' in policy)) {
    const fixed = atLeastFloor({ ...policy, parallelism: policy.parallelism ?? lanes });
    return { current: async () => ({ ...fixed }), peek: () => ({ ...fixed }) };
  }
  const targetMs = Math.round(policy.targetUnlockMs);
  const cache = options.db ? new CalibrationCache(options.db) : undefined;
  const calibrate = options.calibrate ?? ((ms: number, withLanes: number) => calibrateArgon2(ms, { lanes: withLanes }));
  const cached = cache?.get(targetMs);
  let known = cached?.parallelism === lanes ? cached : undefined;
  let running: Promise<Argon2Params> | undefined;
  return {
    peek: () => known && { ...known },
    current: async () => {
      if (known) return { ...known };
      running ??= (async () => {
        try {
          const result = atLeastFloor(await calibrate(targetMs, lanes));
          cache?.put(targetMs, result, (options.clock ?? systemClock).now().getTime());
          known = result;
          return result;
        } finally {
          running = undefined;
        }
      })();
      return { ...(await running) };
    },
  };
}

interface CalibrationRow {
  memory_kib: number;
  iterations: number;
  parallelism: number;
}

class CalibrationCache {
  private readonly select;
  private readonly upsert;

  constructor(db: Database) {
    this.select = db.prepare<[number], CalibrationRow>(
      'SELECT memory_kib, iterations, parallelism FROM kdf_calibration WHERE target_ms = ?',
    );
    this.upsert = db.prepare<[number, number, number, number, number]>(
      `INSERT INTO kdf_calibration (target_ms, memory_kib, iterations, parallelism, calibrated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (target_ms) DO UPDATE SET memory_kib = excluded.memory_kib, iterations = excluded.iterations,
         parallelism = excluded.parallelism, calibrated_at = excluded.calibrated_at`,
    );
  }

  get(targetMs: number): Argon2Params | undefined {
    const row = this.select.get(targetMs);
    return row && atLeastFloor({ memoryKiB: row.memory_kib, iterations: row.iterations, parallelism: row.parallelism });
  }

  put(targetMs: number, params: Argon2Params, at: number): void {
    this.upsert.run(targetMs, params.memoryKiB, params.iterations, params.parallelism, at);
  }
}
