/**
 * Child process for the audit bench: opens a log file, runs a full `verifyChain` and prints the
 * result with the process's peak resident memory (MB), before and after.
 *   node --import tsx bench/verify-memory.ts DATABASE_FILE
 */
import { resourceUsage } from 'node:process';
import { verifyChain } from '../src/main/core/audit/verify-chain';
import { openDatabase } from '../src/main/adapters/sqlite/database';

const [file] = process.argv.slice(2) as [string];
const db = openDatabase(file, { readonly: true });
const baseRssMb = Math.round(resourceUsage().maxRSS / 1024);
const result = verifyChain(db);
db.close();
process.stdout.write(
  JSON.stringify({ ok: result.ok, rows: result.rows, baseRssMb, peakRssMb: Math.round(resourceUsage().maxRSS / 1024) }) + '\n',
);
