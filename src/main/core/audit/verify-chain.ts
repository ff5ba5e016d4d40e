/**
 * Checks the audit log's hash chain and says what was done to it, row by row.
 *
 * For every row the verifier works out its "written seq": the seq its stored hash was computed
 * with. That is its own seq when the hash matches; otherwise the seq after its predecessor's (the
 * row, or the anchor, whose hash its `prev_hash` names); otherwise, for a row whose predecessor is
 * gone, a seq near its own. A row with no written seq no longer matches its hash. Then:
 * - `edited`: a row whose content no longer matches its hash and still sits where it was written;
 *   or an intact row whose successor does not link to it (its hash was recomputed), or an anchor
 *   that does not match the first row;
 * - `inserted`: a row that matches no place in the chain: another row claims the same predecessor
 *   and is the one the chain continues from (or holds its written seq), it links to no known row,
 *   it sits at or before the retention anchor, or it is a copy of another row;
 * - `reordered`: an intact row stored at another seq than it was written with (a run of rows
 *   moved by the same amount is reported once);
 * - `deleted`: written seqs between the anchor and the newest intact row that no row holds.
 *
 * Limits, inherent to a chain without a secret: removing the newest rows, or removing the oldest
 * rows while moving the anchor as retention does, leaves a valid chain; and someone who recomputes
 * every hash after a change leaves a valid chain. The chain catches edits made without recomputing
 * the rest; the triggers stop accidents. Given the installation's keys (`keys`: the record MAC key
 * and the head mirrored in the keychain, audit-keying.ts), both are reported too.
 *
 * The app itself checks only the rows written since its last start (audit-verified.ts); this is the
 * check of the whole chain that `fieldkey audit verify` and `fieldkey doctor` run.
 *
 * Memory: an intact log, the usual case, is checked in one pass that reads one row at a time
 * (`chainIntact`), so a log of any length verifies in constant memory. Only a log that fails that
 * pass is read whole, for the row-by-row account above.
 */
import type { Database } from '../../adapters/sqlite/database';
import { auditHash, GENESIS_HASH } from './audit-hash';
import { verifyKeyed, type AuditKeys } from './audit-keying';
import { readAllRows, readAnchorRow, type AuditAnchor, type StoredAuditRow } from './audit-rows';

export type AuditProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered';

export interface AuditProblem {
  seq: number;
  problem: AuditProblemKind;
  detail: string;
}

export type ChainVerification =
  { ok: true; rows: number; anchor: AuditAnchor; head: AuditAnchor | null } | { ok: false; rows: number; problems: AuditProblem[] };

/** How far from its own seq a row whose predecessor is gone is looked for. */
const SEARCH_WINDOW = 8;

export function verifyChain(db: Database, keys?: AuditKeys): ChainVerification {
  const stored = readAnchorRow(db);
  if (stored && !rowsAtOrBefore(db, stored.seq)) {
    const streamed = chainIntact(db, stored);
    if (streamed && (!keys || verifyKeyed(db, keys).length === 0))
      return { ok: true, rows: streamed.rows, anchor: stored, head: streamed.head };
  }
  return analyseChain(db, stored, keys);
}

/** The rows checked by `chainIntact` and the last of them (null when there were none). */
export interface IntactRun {
  rows: number;
  head: AuditAnchor | null;
}

/**
 * One pass over the rows after `from`, in seq order, one row at a time: true to its name when every
 * row sits at the seq after its predecessor's, names its predecessor's hash and matches its own.
 * With `through`, stops after that seq, having checked that the row after it (if any) links to it:
 * the chain from `from` through `through` is then exactly as written. Undefined at the first break.
 */
export function chainIntact(db: Database, from: AuditAnchor, through = Number.MAX_SAFE_INTEGER): IntactRun | undefined {
  const rows = db.prepare<[number, number], StoredAuditRow>(
    `SELECT seq, type, account, at_local, at_trusted, details, prev_hash, hash FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq`,
  );
  let previous = from;
  let count = 0;
  for (const row of rows.iterate(from.seq, Math.min(through, Number.MAX_SAFE_INTEGER - 1) + 1)) {
    if (row.seq !== previous.seq + 1 || row.prev_hash !== previous.hash) return undefined;
    if (row.seq > through) break; // the row after the range links to it
    if (auditHash(row.seq, row) !== row.hash) return undefined;
    previous = { seq: row.seq, hash: row.hash };
    count++;
  }
  return { rows: count, head: count > 0 ? previous : null };
}

/** True when a row sits at or before the retention anchor (which the fast pass does not read). */
function rowsAtOrBefore(db: Database, seq: number): boolean {
  return db.prepare<[number], { one: number }>(`SELECT 1 AS one FROM audit_events WHERE seq <= ? LIMIT 1`).get(seq) !== undefined;
}

/** The row-by-row account of a log that is not intact (see the module comment). */
function analyseChain(db: Database, stored: AuditAnchor | undefined, keys: AuditKeys | undefined): ChainVerification {
  const anchor = stored ?? { seq: 0, hash: GENESIS_HASH };
  const rows = readAllRows(db);
  const problems: AuditProblem[] = [];
  if (!stored) problems.push({ seq: 0, problem: 'deleted', detail: 'the retention anchor row is missing' });

  const written = writtenSeqs(rows, anchor);
  const intact = rows.map((row, i) => written[i] !== undefined && row.seq > anchor.seq);
  const forks = forkedRows(rows, intact, written);
  const claimedPredecessors = new Set(rows.filter((_, i) => intact[i] && !forks.has(i)).map((row) => row.prev_hash));
  const knownHashes = new Set([anchor.hash, ...rows.map((row) => row.hash)]);

  let previous: { row: StoredAuditRow | undefined; seq: number; hash: string; flagged: boolean } = {
    row: undefined,
    seq: anchor.seq,
    hash: anchor.hash,
    flagged: false,
  };
  let run: { problem: AuditProblem; first: number; last: number; offset: number } | undefined;

  rows.forEach((row, i) => {
    const t = written[i];
    let flagged = true;
    if (row.seq <= anchor.seq) {
      problems.push({ seq: row.seq, problem: 'inserted', detail: 'the row sits at or before the retention anchor' });
    } else if (t === undefined) {
      // An edited row still names its predecessor (unless that was deleted too: then a gap precedes
      // it); a forged row names a place an intact row holds, or nothing known right after a row.
      const inserted =
        claimedPredecessors.has(row.prev_hash) ||
        (row.prev_hash !== previous.hash && !knownHashes.has(row.prev_hash) && row.seq === previous.seq + 1);
      problems.push(
        inserted
          ? { seq: row.seq, problem: 'inserted', detail: 'the row does not belong to the chain' }
          : { seq: row.seq, problem: 'edited', detail: 'the row no longer matches its hash' },
      );
    } else if (forks.has(i)) {
      const genuine = forks.get(i)!;
      problems.push({
        seq: row.seq,
        problem: 'inserted',
        detail: genuine.hash === row.hash ? `the row is a copy of row ${genuine.seq}` : `the row claims the place of row ${genuine.seq}`,
      });
    } else if (t !== row.seq) {
      const offset = row.seq - t;
      if (run && run.last === row.seq - 1 && run.offset === offset) {
        run.last = row.seq;
        run.problem.detail = `rows ${run.first}..${row.seq} were written as seq ${run.first - offset}..${t}`;
      } else {
        run = {
          problem: { seq: row.seq, problem: 'reordered', detail: `the row was written as seq ${t}` },
          first: row.seq,
          last: row.seq,
          offset,
        };
        problems.push(run.problem);
      }
    } else {
      flagged = false;
      if (row.prev_hash !== previous.hash && !previous.flagged && row.seq === previous.seq + 1) {
        problems.push(
          previous.row
            ? {
                seq: previous.row.seq,
                problem: 'edited',
                detail: 'the row was rewritten with a recomputed hash: the next row links to the original',
              }
            : { seq: anchor.seq, problem: 'edited', detail: 'the retention anchor does not match the first row' },
        );
      }
    }
    previous = { row, seq: row.seq, hash: row.hash, flagged };
  });

  problems.push(...missingSeqs(rows, written, intact, anchor.seq));
  if (keys) for (const found of verifyKeyed(db, keys)) if (!problems.some((p) => p.seq === found.seq)) problems.push(found);
  // By seq; at one seq, a missing row is named before what took its number.
  problems.sort((a, b) => a.seq - b.seq || Number(b.problem === 'deleted') - Number(a.problem === 'deleted'));
  if (problems.length > 0) return { ok: false, rows: rows.length, problems };
  const last = rows.at(-1);
  return { ok: true, rows: rows.length, anchor, head: last ? { seq: last.seq, hash: last.hash } : null };
}

/**
 * Intact rows that claim the same predecessor (a fork, e.g. a forged row with a valid hash, or a
 * copy of a row): the one another row links to is the chain, else the one at its written seq, else
 * the first. Returns each other row of a fork, mapped to the row that holds the place.
 */
function forkedRows(
  rows: readonly StoredAuditRow[],
  intact: readonly boolean[],
  written: readonly (number | undefined)[],
): Map<number, StoredAuditRow> {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    if (!intact[i]) return;
    const group = groups.get(row.prev_hash);
    if (group) group.push(i);
    else groups.set(row.prev_hash, [i]);
  });
  const linked = new Set(rows.map((row) => row.prev_hash));
  const forked = new Map<number, StoredAuditRow>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const withSuccessor = group.filter((i) => linked.has(rows[i]!.hash));
    const genuine =
      (withSuccessor.length === 1 ? withSuccessor[0] : undefined) ?? group.find((i) => written[i] === rows[i]!.seq) ?? group[0]!;
    for (const i of group) if (i !== genuine) forked.set(i, rows[genuine]!);
  }
  return forked;
}

/**
 * The seq each row's hash was computed with, or undefined when its content matches no seq tried.
 * Iterative (no recursion), so long runs of displaced rows cannot overflow the stack.
 */
function writtenSeqs(rows: readonly StoredAuditRow[], anchor: AuditAnchor): (number | undefined)[] {
  const byHash = new Map<string, number>();
  rows.forEach((row, i) => {
    if (!byHash.has(row.hash)) byHash.set(row.hash, i);
  });
  const memo = new Map<number, number | undefined>();
  const matches = (i: number, seq: number) => auditHash(seq, rows[i]!) === rows[i]!.hash;

  const resolve = (start: number): number | undefined => {
    if (memo.has(start)) return memo.get(start);
    if (matches(start, rows[start]!.seq)) {
      memo.set(start, rows[start]!.seq); // the common case: the row matches its own seq
      return rows[start]!.seq;
    }
    const path: number[] = [];
    const onPath = new Set<number>();
    let base: number | undefined;
    let orphan = false;
    for (let i: number | undefined = start; ;) {
      if (memo.has(i)) {
        base = memo.get(i);
        break;
      }
      const row: StoredAuditRow = rows[i]!;
      if (matches(i, row.seq)) {
        memo.set(i, row.seq);
        base = row.seq;
        break;
      }
      path.push(i);
      onPath.add(i);
      if (row.prev_hash === anchor.hash) {
        base = anchor.seq;
        break;
      }
      i = byHash.get(row.prev_hash);
      if (i === undefined || onPath.has(i)) {
        orphan = i === undefined;
        break;
      }
    }
    for (let p = path.length - 1; p >= 0; p--) {
      const i = path[p]!;
      let seq = base !== undefined && matches(i, base + 1) ? base + 1 : undefined;
      if (seq === undefined && orphan && p === path.length - 1) seq = searchNear(i, rows[i]!.seq, matches);
      memo.set(i, seq);
      base = seq;
    }
    return memo.get(start);
  };

  return rows.map((_, i) => resolve(i));
}

function searchNear(i: number, seq: number, matches: (i: number, seq: number) => boolean): number | undefined {
  for (let d = 1; d <= SEARCH_WINDOW; d++) {
    if (matches(i, seq + d)) return seq + d;
    if (seq - d > 0 && matches(i, seq - d)) return seq - d;
  }
  return undefined;
}

/** Written seqs after the anchor, up to the newest intact row, that no row holds: deleted rows. */
function missingSeqs(
  rows: readonly StoredAuditRow[],
  written: readonly (number | undefined)[],
  intact: readonly boolean[],
  anchorSeq: number,
): AuditProblem[] {
  const held = new Set<number>();
  let newest = anchorSeq;
  rows.forEach((row, i) => {
    const t = written[i];
    if (intact[i] && t !== undefined) {
      held.add(t);
      newest = Math.max(newest, t);
    } else {
      held.add(row.seq); // a row that no longer matches its hash is reported as edited/inserted at its seq
    }
  });
  const problems: AuditProblem[] = [];
  for (let seq = anchorSeq + 1; seq <= newest; seq++) {
    if (held.has(seq)) continue;
    let end = seq;
    while (end + 1 <= newest && !held.has(end + 1)) end++;
    problems.push({ seq, problem: 'deleted', detail: end === seq ? `row ${seq} is missing` : `rows ${seq}..${end} are missing` });
    seq = end;
  }
  return problems;
}
