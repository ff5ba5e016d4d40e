/**
 * Doctor: the audit log's hash chain (verify-chain.ts, the same check as `fieldkey audit verify`),
 * and the policy's retention (which the app applies when it starts).
 */
import { hasAuditTables } from '../audit/audit-rows';
import { verifyChain } from '../audit/verify-chain';
import type { Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import { checked, problem, skipped, type AuditRetentionSettings, type AuditSection } from './doctor-report';

export type RetentionPolicy = Pick<Policy, 'auditRetentionDays' | 'auditRetentionRows'>;

/** The retention the report shows: null without a valid policy. */
export function retentionOf(policy: RetentionPolicy | undefined): AuditRetentionSettings | null {
  return policy ? { days: policy.auditRetentionDays, rows: policy.auditRetentionRows } : null;
}

/** Problems listed in the report; `fieldkey audit verify` lists them all. */
export const AUDIT_PROBLEMS_SHOWN = 20;

const EMPTY = { intact: null, rows: null, headSeq: null, headHash: null, anchorSeq: null, problemCount: 0, problems: [] };

export function checkAudit(db: Database, policy?: RetentionPolicy): AuditSection {
  const retention = retentionOf(policy);
  if (!hasAuditTables(db)) {
    return { ...skipped('the database has no audit log yet; FieldKey adds it when it next starts'), present: false, ...EMPTY, retention };
  }
  const result = verifyChain(db);
  if (result.ok) {
    return {
      ...checked([]),
      present: true,
      intact: true,
      rows: result.rows,
      headSeq: result.head?.seq ?? null,
      headHash: result.head?.hash ?? null,
      anchorSeq: result.anchor.seq,
      retention,
      problemCount: 0,
      problems: [],
    };
  }
  const first = result.problems[0]!;
  const message =
    `The audit log's hash chain is broken: ${result.problems.length} problem(s) in ${result.rows} row(s), ` +
    `the first at seq ${first.seq} (${first.problem}: ${first.detail}). Rows were edited, deleted, inserted or reordered outside FieldKey; ` +
    'run fieldkey audit verify for the full list and keep a copy of the database for investigation.';
  return {
    ...checked([problem('audit_tampered', message)]),
    present: true,
    intact: false,
    rows: result.rows,
    headSeq: null,
    headHash: null,
    anchorSeq: null,
    retention,
    problemCount: result.problems.length,
    problems: result.problems.slice(0, AUDIT_PROBLEMS_SHOWN),
  };
}
