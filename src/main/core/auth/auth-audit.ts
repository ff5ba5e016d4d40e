/**
 * The auth service's audit records. `AuditLog` enforces each event's detail
 * allow-list and refuses anything secret-shaped; this wrapper never lets a refused detail or a full
 * disk break sign-in or unlock: a refused detail is left out of the event (e.g. a policy path that
 * looks random), and a failed append is logged (event type and error code only).
 *
 * Decision events are recorded when the decision's reason changes into them (`grace_entered`,
 * `check_in_overdue`, `clock_rollback`), not on every re-decision.
 *
 * Retention (the policy's `auditRetentionDays` / `auditRetentionRows`) is applied once at start-up;
 * a log that does not verify is left whole (`audit_tampered`, logged), and start-up goes on:
 * `fieldkey doctor` and `fieldkey audit verify` report the chain.
 *
 * Before retention, and before anything of the run is appended, `verifyAuditAtStart` checks the rows
 * written since the last start against the verified checkpoint (audit/audit-verified.ts). It runs
 * synchronously inside start-up: its work follows the rows since the last start (a session's worth,
 * a few milliseconds), and checking before the first append means no row of this run lands between
 * the check and the checkpoint it moves. Only the first check of a database (after an upgrade, or when
 * the stored checkpoint is not trusted) reads the whole chain, once. It never throws: a problem is
 * recorded as `audit_tamper_detected`, logged in one line, and reported by `fieldkey doctor`
 * (`audit_start_check_failed`, the first problem ever found) and `fieldkey audit verify`; start-up
 * goes on either way. Each problem is reported at the start that finds it, and not again.
 */
import { isFieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { validateDetails, type AuditDetailsInput, type AuditEventType } from '../audit/audit-events';
import type { AuditLog } from '../audit/audit-log';
import type { AuditAnchor } from '../audit/audit-rows';
import { checkAtStart, type StartCheck } from '../audit/audit-verified';
import type { RecordMac } from '../records/record-mac';
import type { OfflineDecision } from '../offline/decision';
import { checkClockTrust } from '../offline/time-rules';
import type { JwksSyncResult } from '../oauth/jwks-sync';
import { TokenEndpointError } from '../oauth/token-endpoint';
import type { Policy } from '../policy/policy-types';
import type { JwksChange } from '../records/jwks-store';
import type { DecidedAccess } from './access-decision';
import type { RefreshOutcome } from './account-session';
import { errorCode } from './error-code';

export class AuthAudit {
  constructor(
    private readonly audit: Pick<AuditLog, 'append' | 'applyRetention'>,
    private readonly log: (line: string) => void,
  ) {}

  record(type: AuditEventType, account: string | null, details?: AuditDetailsInput): void {
    try {
      this.audit.append(type, { account, ...(details ? { details: this.acceptedDetails(type, details) } : {}) });
    } catch (error) {
      this.log(`audit ${type}: ${errorCode(error)}`);
    }
  }

  /** The details the event's allow-list accepts; a refused one is left out (and logged by name), not the event. */
  private acceptedDetails(type: AuditEventType, details: AuditDetailsInput): AuditDetailsInput {
    const accepted: Record<string, AuditDetailsInput[string]> = {};
    for (const [name, value] of Object.entries(details)) {
      try {
        validateDetails(type, { [name]: value });
        accepted[name] = value;
      } catch (error) {
        this.log(`audit ${type}: detail ${name} left out (${errorCode(error)})`);
      }
    }
    return accepted;
  }

  /** Prunes the oldest events beyond the policy's retention; never rejects (a failure is logged by code). */
  async applyRetention(policy: Pick<Policy, 'auditRetentionDays' | 'auditRetentionRows'>): Promise<void> {
    const { auditRetentionDays, auditRetentionRows } = policy;
    try {
      const { pruned } = await this.audit.applyRetention({ auditRetentionDays, auditRetentionRows });
      this.log(`audit retention (${auditRetentionDays} days, ${auditRetentionRows} events): pruned ${pruned} event(s)`);
    } catch (error) {
      this.log(`audit retention not applied: ${errorCode(error)}`);
    }
  }

  /**
   * Records a decision that entered the grace period, read-only, or a denial (an overdue check-in, a
   * clock rollback, or any other reason) since `previous` (decisionKey of the last one recorded).
   */
  decision(accountId: string, previous: string | undefined, decided: DecidedAccess, policy: Pick<Policy, 'clockSkewSeconds'>): void {
    const { decision, readings } = decided;
    if (decisionKey(decision) === previous) return;
    if (decision.decision === 'read-only') {
      this.record('read_only_entered', accountId, {
        expiredAt: decision.expiresAt ?? null,
        graceEndedAt: decision.fullUntil ?? null,
        readOnlyUntil: decision.readOnlyUntil ?? null,
      });
      return;
    }
    switch (decision.reason) {
      case 'valid':
        break;
      case 'grace_period':
        this.record('grace_entered', accountId, { expiredAt: decision.expiresAt ?? null, graceEndsAt: decision.fullUntil ?? null });
        break;
      case 'check_in_overdue':
        this.record('check_in_overdue', accountId, { lastCheckInAt: readings.lastCheckIn ?? null, dueAt: decision.checkInDueAt ?? null });
        break;
      case 'clock_rollback': {
        const trust = checkClockTrust(readings, policy);
        const behindMs = trust.trusted ? undefined : trust.behindMs;
        this.record('clock_rollback', accountId, {
          localTime: readings.now,
          lastServerTime: readings.lastServerTime ?? null,
          highWater: readings.highWater ?? null,
          behindSeconds: behindMs === undefined ? null : Math.floor(behindMs / 1000),
          skewSeconds: policy.clockSkewSeconds,
        });
        break;
      }
      default:
        this.record('access_denied', accountId, { reason: decision.reason, expiredAt: decision.expiresAt ?? null });
        break;
    }
  }

  /** Records a refresh's outcome: `refresh`, `revocation_detected`, or `refresh_refused` (offline is no event). */
  refresh(accountId: string, outcome: RefreshOutcome, wiped: boolean): void {
    if (outcome.ok) {
      this.record('refresh', accountId, {
        expiresAt: typeof outcome.tokens.expiresAt === 'number' ? new Date(outcome.tokens.expiresAt * 1000) : null,
        rotated: outcome.rotated,
      });
    } else if (outcome.revoked) {
      this.record('revocation_detected', accountId, { error: 'invalid_grant', wiped });
    } else if (!outcome.offline && !isFieldKeyError(outcome.error, 'session_locked')) {
      const { error } = outcome;
      this.record('refresh_refused', accountId, {
        error: error instanceof TokenEndpointError ? error.error.slice(0, 100) : errorCode(error),
        status: error instanceof TokenEndpointError ? error.status : null,
      });
    }
  }

  /** Records a JWKS fetch or import that changed the cached keys. */
  jwks(issuer: string, source: string, change: JwksChange | undefined): void {
    if (!change || change.added + change.removed + change.restored === 0) return;
    this.record('jwks_changed', null, { issuer, source, added: change.added, removed: change.removed, restored: change.restored });
  }

  jwksSync(issuer: string, source: string, result: JwksSyncResult | undefined): void {
    if (result?.outcome === 'ok') this.jwks(issuer, source, result.change);
  }
}

/** What the start-up check of the audit chain is given. */
export interface AuditStartParts {
  db: Database;
  /** The installation's record MAC key (and whether it was created at this start); none: not checked. */
  recordKey: { mac: RecordMac; created: boolean } | undefined;
  /**
   * The head mirrored in the keychain and the retention allowance (audit-keying.ts); a failed read
   * is checked without them.
   */
  mirrored: Promise<{ head: AuditAnchor | undefined; allowedAnchor: AuditAnchor | undefined }>;
  now: Date;
  audit: AuthAudit;
  log: (line: string) => void;
}

/** The start-up check of the audit chain (see the module comment). Never throws. */
export async function verifyAuditAtStart(parts: AuditStartParts): Promise<StartCheck | undefined> {
  const { log, recordKey } = parts;
  let head: AuditAnchor | undefined;
  let allowedAnchor: AuditAnchor | undefined;
  try {
    ({ head, allowedAnchor } = await parts.mirrored);
  } catch (error) {
    log(`audit head not read from the keychain (${errorCode(error)}); the start-up check goes on without it`);
  }
  if (!recordKey) {
    log('audit chain not checked at start: no record MAC key');
    return undefined;
  }
  let check: StartCheck;
  try {
    check = checkAtStart(parts.db, { mac: recordKey.mac, head, allowedAnchor, newKey: recordKey.created }, parts.now);
  } catch (error) {
    log(`audit chain not checked at start: ${errorCode(error)}`);
    return undefined;
  }
  if (check.outcome === 'skipped') {
    if (check.reason === 'no_key') log('audit chain not checked at start: no record MAC key');
    return check;
  }
  const { result, start } = check;
  const from =
    start === 'checkpoint'
      ? `after seq ${result.from}`
      : `from the anchor at seq ${result.from} (${start === 'no_checkpoint' ? 'no checkpoint yet' : "the stored checkpoint's MAC does not match"})`;
  if (result.ok) {
    log(`audit chain checked at start ${from}: ${result.rowsRead} row(s) intact; checkpoint at seq ${result.head.seq}`);
  } else {
    const { problem } = result;
    log(
      `audit chain check at start FAILED ${from}: seq ${problem.seq} ${problem.problem}; recorded, reported by fieldkey doctor (audit_start_check_failed)`,
    );
    parts.audit.record('audit_tamper_detected', null, { seq: problem.seq, problem: problem.problem, fromSeq: result.from });
  }
  return check;
}

/** A decision's tier and reason: decision events are recorded once per change of this key. */
export function decisionKey(decision: Pick<OfflineDecision, 'decision' | 'reason'>): string {
  return `${decision.decision}:${decision.reason}`;
}
