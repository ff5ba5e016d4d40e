/**
 * Doctor: the audit log's hash chain (verify-chain.ts, the same check as `fieldkey audit verify`,
 * keyed with the installation's key and mirrored head when the keychain has them), and the policy's
 * retention (which the app applies when it starts). A stored anchor mismatch (the Field API's
 * checkpoint of this device missing from the local chain, audit-checkpoints.ts) is a problem too,
 * and so is a stored failure of the app's own check at start-up (`audit_start_check_failed`,
 * audit-verified.ts): the app records it once and does not check again, so it stays until IT acts.
 */
import { describeAnchorMismatch, readAnchorMismatch } from '../audit/audit-checkpoints';
import { unsignedRows, type AuditKeys } from '../audit/audit-keying';
import { hasAuditTables } from '../audit/audit-rows';
import { describeStartFailure, readStartFailure } from '../audit/audit-verified';
import { verifyChain } from '../audit/verify-chain';
import type { Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import { checked, note, problem, skipped, type AuditRetentionSettings, type AuditSection, type Finding } from './doctor-report';

export type RetentionPolicy = Pick<Policy, 'auditRetentionDays' | 'auditRetentionRows'>;

/** The retention the report shows: null without a valid policy. */
export function retentionOf(policy: RetentionPolicy | undefined): AuditRetentionSettings | null {
  return policy ? { days: policy.auditRetentionDays, rows: policy.auditRetentionRows } : null;
}

/** Problems listed in the report; `fieldkey audit verify` lists them all. */
export const AUDIT_PROBLEMS_SHOWN = 20;

const EMPTY = { intact: null, rows: null, headSeq: null, headHash: null, anchorSeq: null, problemCount: 0, problems: [] };

/** `keys`: the installation's record MAC key and the head mirrored in the keychain, when readable. */
export function checkAudit(db: Database, policy?: RetentionPolicy, keys?: AuditKeys): AuditSection {
  const retention = retentionOf(policy);
  if (!hasAuditTables(db)) {
    return { ...skipped('the database has no audit log yet; FieldKey adds it when it next starts'), present: false, ...EMPTY, retention };
  }
  const result = verifyChain(db, keys);
  const mismatch = readAnchorMismatch(db);
  const startFailure = readStartFailure(db);
  const anchorFindings: Finding[] = [
    ...(mismatch
      ? [
          problem(
            'audit_anchor_mismatch',
            `The audit log was truncated or rewritten: ${describeAnchorMismatch(mismatch)}. Keep a copy of the database for investigation.`,
          ),
        ]
      : []),
    ...(startFailure
      ? [
          problem(
            'audit_start_check_failed',
            `The audit log was tampered with: ${describeStartFailure(startFailure)}. ` +
              'Run fieldkey audit verify for the full list and keep a copy of the database for investigation.',
          ),
        ]
      : []),
  ];
  const unsigned = unsignedRows(db);
  if (unsigned) {
    anchorFindings.push(
      note(
        'audit_rows_unsigned',
        `${unsigned.rows} row(s) of the audit log from seq ${unsigned.firstSeq} on carry no MAC under this installation's key: FieldKey writes them so while the keychain is unavailable, and so would anyone adding rows with a SQLite tool. They are in the chain but not vouched for by the key.`,
      ),
    );
  }
  if (result.ok) {
    return {
      ...checked(anchorFindings),
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
    ...checked([problem('audit_tampered', message), ...anchorFindings]),
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
