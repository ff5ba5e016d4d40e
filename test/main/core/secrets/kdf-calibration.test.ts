import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { availableParallelism } from 'node:os';
import {
  atLeastFloor,
  defaultArgon2Lanes,
  needsReseal,
  OWASP_FLOOR,
  type Argon2Params,
} from '../../../../src/main/core/secrets/argon2-params';
import {
  argon2ParamsFromPolicy,
  calibrateArgon2,
  maxCalibratedMemoryKiB,
  timeArgon2Run,
} from '../../../../src/main/core/secrets/kdf-calibration';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { MovableClock } from './vault-fixtures';

/** A machine model where Argon2id costs `msPerMiB` per MiB of memory at t = 2. */
const linear = (msPerMiB: number) => {
  const probes: number[] = [];
  const timeRun = async (p: Argon2Params) => {
    probes.push(p.memoryKiB);
    return (p.memoryKiB / 1024) * msPerMiB;
  };
  return { probes, timeRun };
};

describe('Argon2id calibration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('never goes below the OWASP floor, even when the floor misses the target', async () => {
    const slow = linear(10); // the floor takes 190 ms
    expect(await calibrateArgon2(50, { timeRun: slow.timeRun, lanes: 1 })).toEqual(OWASP_FLOOR);
    expect(slow.probes).toEqual([OWASP_FLOOR.memoryKiB, OWASP_FLOOR.memoryKiB]);
  });

  it('picks the largest memory that meets the target, within 1 MiB', async () => {
    const model = linear(1);
    const chosen = await calibrateArgon2(300, { timeRun: model.timeRun, maxMemoryKiB: 1024 * 1024, lanes: 1 });
    expect(chosen.iterations).toBe(2);
    expect(chosen.parallelism).toBe(1);
    expect(chosen.memoryKiB).toBeLessThanOrEqual(300 * 1024);
    expect(chosen.memoryKiB).toBeGreaterThanOrEqual(290 * 1024);
    expect(model.probes.length).toBeLessThanOrEqual(16);
  });

  it('measures a miss twice, so one slow run (load elsewhere) does not shrink the result', async () => {
    let calls = 0;
    const spiky = async (p: Argon2Params) => {
      calls++;
      const ms = p.memoryKiB / 1024;
      return calls === 3 ? ms * 10 : ms; // the first probe of 77824 KiB is disturbed
    };
    const chosen = await calibrateArgon2(300, { timeRun: spiky, maxMemoryKiB: 1024 * 1024 });
    expect(chosen.memoryKiB).toBeGreaterThanOrEqual(290 * 1024);
  });

  it('stops at the memory cap on a fast machine', async () => {
    const fast = linear(0.001);
    expect((await calibrateArgon2(500, { timeRun: fast.timeRun, maxMemoryKiB: 256 * 1024 })).memoryKiB).toBe(256 * 1024);
    expect(maxCalibratedMemoryKiB(64 * 2 ** 30)).toBe(1024 * 1024);
    expect(maxCalibratedMemoryKiB(2 * 2 ** 30)).toBe(256 * 1024);
    expect(maxCalibratedMemoryKiB(64 * 2 ** 20)).toBe(OWASP_FLOOR.memoryKiB);
  });

  // Real timings on a shared CI machine vary by a factor of several, so this asserts what holds
  // under any load; the search itself is tested exactly with the models above.
  it('calibrates for real on this machine: above the floor for a reachable target, never outside floor and cap', async () => {
    const timed: number[] = [];
    const chosen = await calibrateArgon2(150, {
      timeRun: async (p) => {
        const ms = await timeArgon2Run(p);
        timed.push(ms);
        return ms;
      },
    });
    expect(chosen).toEqual(atLeastFloor(chosen));
    expect(chosen.memoryKiB).toBeGreaterThan(OWASP_FLOOR.memoryKiB);
    expect(chosen.memoryKiB).toBeLessThanOrEqual(maxCalibratedMemoryKiB());
    expect([chosen.iterations, chosen.parallelism]).toEqual([2, defaultArgon2Lanes()]);
    expect(timed.every((ms) => ms > 0)).toBe(true);

    expect(await calibrateArgon2(0.001)).toEqual({ ...OWASP_FLOOR, parallelism: defaultArgon2Lanes() });
  });

  it('uses fixed policy parameters, raised to the floor', async () => {
    const calibrate = vi.fn();
    const fixed = argon2ParamsFromPolicy({ memoryKiB: 65536, iterations: 3, parallelism: 2 }, { calibrate });
    expect(await fixed.current()).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 2 });
    expect(fixed.peek()).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 2 });
    const low = argon2ParamsFromPolicy({ memoryKiB: 8192, iterations: 1, parallelism: 1 }, { calibrate });
    expect(await low.current()).toEqual(OWASP_FLOOR);
    expect(calibrate).not.toHaveBeenCalled();
  });

  it('calibrates once per target and keeps the result in the database across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-kdf-'));
    dirs.push(dir);
    const file = join(dir, 'fieldkey.db');
    const clock = new MovableClock();
    const result = { memoryKiB: 262144, iterations: 2, parallelism: defaultArgon2Lanes() };
    const calibrate = vi.fn(async () => result);

    let db = openDatabase(file);
    const source = argon2ParamsFromPolicy({ targetUnlockMs: 500 }, { db, clock, calibrate });
    expect(source.peek()).toBeUndefined();
    const [a, b] = await Promise.all([source.current(), source.current()]);
    expect(a).toEqual(result);
    expect(b).toEqual(result);
    expect(await source.current()).toEqual(result);
    expect(source.peek()).toEqual(result);
    expect(calibrate).toHaveBeenCalledTimes(1);
    expect(calibrate).toHaveBeenCalledWith(500, defaultArgon2Lanes());
    db.close();

    db = openDatabase(file);
    const reopened = argon2ParamsFromPolicy({ targetUnlockMs: 500 }, { db, clock, calibrate });
    expect(reopened.peek()).toEqual(result);
    expect(await reopened.current()).toEqual(result);
    expect(calibrate).toHaveBeenCalledTimes(1);

    // Another target is calibrated separately; a result below the floor is raised.
    const other = argon2ParamsFromPolicy(
      { targetUnlockMs: 100 },
      { db, clock, calibrate: async () => ({ memoryKiB: 1024, iterations: 1, parallelism: 1 }) },
    );
    expect(await other.current()).toEqual(OWASP_FLOOR);
    db.close();
  });

  it('uses one lane per hardware thread, at most 4, when the policy names no parallelism', async () => {
    expect([1, 2, 3, 4, 8, 64].map((threads) => defaultArgon2Lanes(threads))).toEqual([1, 2, 3, 4, 4, 4]);
    expect(defaultArgon2Lanes()).toBe(Math.min(4, availableParallelism()));
    const calibrate = vi.fn();
    const fixed = argon2ParamsFromPolicy({ memoryKiB: 65536, iterations: 3 }, { calibrate, lanes: 3 });
    expect(await fixed.current()).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 3 });
    // An explicit parallelism wins, even 1.
    const explicit = argon2ParamsFromPolicy({ memoryKiB: 65536, iterations: 3, parallelism: 1 }, { calibrate, lanes: 3 });
    expect(await explicit.current()).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 1 });
    expect(calibrate).not.toHaveBeenCalled();
  });

  it('calibrates with the lanes new seals use: every probe, and the result', async () => {
    const lanes: number[] = [];
    const chosen = await calibrateArgon2(100, {
      timeRun: async (p) => {
        lanes.push(p.parallelism);
        return p.memoryKiB / 1024 / p.parallelism;
      },
      maxMemoryKiB: 1024 * 1024,
      lanes: 4,
    });
    expect(new Set(lanes)).toEqual(new Set([4]));
    expect(chosen.parallelism).toBe(4);
    // Four lanes fill four times the memory in the same time on this model.
    expect(chosen.memoryKiB).toBeGreaterThanOrEqual(390 * 1024);
  });

  it('calibrates again when the cached result was calibrated with other lanes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-kdf-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'fieldkey.db'));
    const clock = new MovableClock();
    const single = argon2ParamsFromPolicy(
      { targetUnlockMs: 500 },
      { db, clock, lanes: 1, calibrate: async () => ({ memoryKiB: 131072, iterations: 2, parallelism: 1 }) },
    );
    expect(await single.current()).toEqual({ memoryKiB: 131072, iterations: 2, parallelism: 1 });
    const calibrate = vi.fn(async (_ms: number, withLanes: number) => ({ memoryKiB: 262144, iterations: 2, parallelism: withLanes }));
    const laned = argon2ParamsFromPolicy({ targetUnlockMs: 500 }, { db, clock, lanes: 2, calibrate });
    expect(laned.peek()).toBeUndefined();
    expect(await laned.current()).toEqual({ memoryKiB: 262144, iterations: 2, parallelism: 2 });
    expect(calibrate).toHaveBeenCalledWith(500, 2);
    db.close();
  });

  it('re-seals for other lanes only at no less memory and no fewer passes', () => {
    const p1 = { memoryKiB: 65536, iterations: 3, parallelism: 1 };
    expect(needsReseal(p1, { ...p1, parallelism: 2 })).toBe(true);
    expect(needsReseal({ ...p1, parallelism: 2 }, p1)).toBe(true);
    expect(needsReseal(p1, { ...p1, parallelism: 2, memoryKiB: 32768 })).toBe(false);
    expect(needsReseal(p1, p1)).toBe(false);
    expect(needsReseal(p1, { ...p1, iterations: 4 })).toBe(true);
  });
});
