/** Shared measuring helpers for `npm run bench`. Every entry reports a median from one run. */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  name: string;
  median: number;
  unit: string;
  /** median / baseline median, where a baseline was measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `fn` over `samples` samples of `batch` calls each (after `warmup` calls) and returns the
 * median time of one call in the given unit.
 */
export async function measure(
  fn: () => unknown,
  { samples = 31, batch = 1, warmup = 5, unit = 'us' }: { samples?: number; batch?: number; warmup?: number; unit?: 'us' | 'ms' } = {},
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    times.push((performance.now() - start) / batch);
  }
  const ms = median(times);
  return unit === 'us' ? ms * 1000 : ms;
}

/**
 * Measures a candidate against its baseline with interleaved samples, so both see the same machine
 * load, and returns both medians.
 */
export async function compare(
  candidate: () => unknown,
  baseline: () => unknown,
  { samples = 31, batch = 1, warmup = 5 }: { samples?: number; batch?: number; warmup?: number } = {},
): Promise<{ candidate: number; baseline: number }> {
  for (let i = 0; i < warmup; i++) {
    await candidate();
    await baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let s = 0; s < samples; s++) {
    let start = performance.now();
    for (let i = 0; i < batch; i++) await baseline();
    b.push((performance.now() - start) / batch);
    start = performance.now();
    for (let i = 0; i < batch; i++) await candidate();
    a.push((performance.now() - start) / batch);
  }
  return { candidate: median(a), baseline: median(b) };
}
