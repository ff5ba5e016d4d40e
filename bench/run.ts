/**
 * `npm run bench`: runs every suite listed below, prints a table and writes bench/results.json.
 * Each suite is a module exporting `run(): Promise<BenchResult[]>`. `npm run bench -- NAME` runs
 * only the suites whose name contains NAME and keeps the other entries already in the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './harness';

const suites: Record<string, () => Promise<{ run(): Promise<BenchResult[]> }>> = {
  decision: () => import('./decision.bench'),
  unlock: () => import('./unlock.bench'),
  'unlock-lanes': () => import('./unlock-lanes.bench'),
  online: () => import('./online.bench'),
  'sync-1000': () => import('./sync.bench'),
  'start-100k-audit': () => import('./audit-start.bench'),
};

const filter = process.argv[2];
const file = fileURLToPath(new URL('./results.json', import.meta.url));
const previous: BenchResult[] = filter && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
const fresh: BenchResult[] = [];
for (const [name, load] of Object.entries(suites)) {
  if (filter && !name.includes(filter)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  fresh.push(...(await (await load()).run()));
}
const names = new Set(fresh.map((r) => r.name));
const results = [...previous.filter((r) => !names.has(r.name)), ...fresh];
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
console.table(
  results.map((r) => ({
    name: r.name,
    median: Number(r.median.toFixed(3)),
    unit: r.unit,
    ratio: r.ratio === undefined ? '' : r.ratio.toFixed(3),
    baseline: r.baseline ?? '',
  })),
);
