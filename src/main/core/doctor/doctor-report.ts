/**
 * What `fieldkey doctor` reports: one typed, JSON-ready report of facts, built
 * by the checks in this folder and rendered as text (render-doctor.ts) or JSON (`--json`).
 *
 * The JSON is for scripts: keys are stable (a fact that is unknown is `null`, a list is `[]`, never a
 * missing key), times are ISO 8601 UTC strings, durations are whole seconds. `version` changes only
 * when a key is removed or changes meaning.
 *
 * Nothing secret goes in: no token, refresh token, PIN, salt, hash, verifier, device key or key
 * material (a JWK's `n`, `e`, `x`, `y`); key ids and algorithms only.
 */
import type { UnusableBecause } from '../offline/cached-keys';
import type { PolicySourceKind } from '../policy/load-policy';
import type { PolicyProblem } from '../policy/policy-errors';
import type { IdpKind } from '../policy/policy-types';
import type { AuditProblem } from '../audit/verify-chain';

export const DOCTOR_REPORT_VERSION = 1;

/** `ok`; `note`: worth knowing, not a fault; `problem`: something stops or weakens FieldKey; `skipped`: could not be checked. */
export type CheckStatus = 'ok' | 'note' | 'problem' | 'skipped';

export type SectionName = 'policy' | 'database' | 'keychain' | 'jwks' | 'clock' | 'accounts' | 'audit' | 'api';

export interface Finding {
  severity: 'problem' | 'note';
  /** Stable code scripts branch on (`policy_invalid`, `jwks_stale`, `clock_rollback`, ...). */
  code: string;
  message: string;
}

export interface SectionFinding extends Finding {
  section: SectionName;
  /** For account findings: the account's opaque id. */
  accountId: string | null;
}

export interface SectionBase {
  status: CheckStatus;
  findings: Finding[];
  /** Why the section could not be checked (status `skipped`), e.g. no database yet. */
  skippedBecause: string | null;
}

export interface PolicySettings {
  issuer: string;
  clientId: string;
  audience: string;
  /** The IdP product (`oidc` or `fusionauth`): how sign-out revokes when discovery has no revocation endpoint. */
  idp: IdpKind;
  offlineToken: 'access' | 'id';
  allowedAlgorithms: string[];
  gracePeriodHours: number;
  /** null: read-only until the check-in falls due. */
  readOnlyHours: number | null;
  checkInIntervalDays: number;
  jwksRefreshDays: number;
  clockSkewSeconds: number;
  pinMinLength: number;
  maxAttempts: number;
  maxAccounts: number;
}

export interface BundledJwksFacts {
  path: string;
  valid: boolean;
  keyCount: number;
  kids: string[];
  /** Why it cannot be used, when `valid` is false. */
  error: string | null;
}

export interface PolicySection extends SectionBase {
  valid: boolean;
  source: { kind: PolicySourceKind; location: string; machineFile: string | null; description: string } | null;
  /** `policy_invalid`, `policy_unreadable` or `policy_insecure` when not valid. */
  errorCode: string | null;
  /** Where the invalid policy was read from (`policy_invalid` only). */
  invalidSource: string | null;
  /** Each bad field and why (`policy_invalid` only). */
  problems: PolicyProblem[];
  settings: PolicySettings | null;
  bundledJwks: BundledJwksFacts | null;
}

export interface DatabaseSection extends SectionBase {
  file: string;
  exists: boolean;
  opened: boolean;
  /** The file's `user_version`; null when it could not be read. */
  schemaVersion: number | null;
  /** The newest schema this FieldKey knows. */
  codeSchemaVersion: number;
  /** `PRAGMA integrity_check`: `ok`, `failed`, or null when not run. */
  integrity: 'ok' | 'failed' | null;
  integrityErrors: string[];
}

export interface KeychainSection extends SectionBase {
  service: string;
  reachable: boolean;
  errorCode: string | null;
  message: string | null;
}

export type KeyState = 'usable' | UnusableBecause;

export interface JwksKeyFacts {
  kid: string | null;
  /** The declared `alg`, if any. */
  alg: string | null;
  /** `RSA`, `EC P-256`, `OKP Ed25519`, or the JWK's `kty` for keys FieldKey cannot use. */
  type: string;
  /** The algorithms this key may verify (empty unless usable). */
  algorithms: string[];
  source: 'network' | 'bundled';
  state: KeyState;
  firstSeenAt: string;
  lastSeenAt: string;
  removedAt: string | null;
}

export interface JwksSection extends SectionBase {
  issuer: string | null;
  keys: JwksKeyFacts[];
  usableCount: number;
  removedCount: number;
  /** The policy's allowed algorithms that some usable cached key can verify. */
  verifiableAlgorithms: string[];
  lastSuccessfulFetch: string | null;
  /** Seconds since the last successful fetch (by the local clock). */
  ageSeconds: number | null;
  refreshDays: number | null;
  stale: boolean | null;
}

export interface ClockSection extends SectionBase {
  now: string;
  lastServerTime: string | null;
  /** The local clock when that server time was seen. */
  lastServerTimeSeenAt: string | null;
  /** The trusted-time estimate now (last server time + local time elapsed since). */
  trustedNow: string | null;
  /** Local clock minus server time at the last online contact, in seconds (positive: the local clock was ahead). */
  offsetSeconds: number | null;
  highWater: string | null;
  skewSeconds: number | null;
  /** Whether the offline decision trusts the local clock now; null when it could not be judged. */
  trusted: boolean | null;
  /** Which record the clock is behind (`server_time`, `high_water`, `invalid_reading`), when not trusted. */
  rollbackBecause: string | null;
  behindSeconds: number | null;
}

/**
 * What can be said of an account's offline access without opening its token (sealed under the PIN),
 * from the facts that need no token and the offline token's `exp` stored in clear when the verified
 * token was sealed (account-check.ts):
 * - `denied` when a fact already refuses it (`clock_rollback`, `check_in_overdue`, `no_usable_keys`,
 *   `issuer_mismatch`, `policy_invalid`, `no_session`, `locked_out`), or the stored `exp`, the grace
 *   period and a bounded read-only period are past (`expired`);
 * - `full` (reason `valid`, then `grace_period`) until `exp` + grace, then `read-only` (reason
 *   `expired`) until `exp` + grace + `readOnlyHours` or the check-in, each bounded by the check-in
 *   due time; `basis` is then `last_verified_token`: the app itself decides at unlock from the
 *   token, its signature and claims checked again;
 * - `depends_on_token` when no `exp` is stored (a session sealed by an older FieldKey, or a token
 *   without `exp`), as long as the check-in is not due. Unlocking shows the actual decision.
 */
export interface OfflineOutlook {
  decision: 'denied' | 'depends_on_token' | 'full' | 'read-only';
  reason: string;
  message: string;
  /** Until when this outlook holds, when a known time ends it (clock-skew tolerance included, as the decision applies it). */
  holdsUntil: string | null;
  /**
   * What ends it: `check_in_due`, `grace_end` (full access ends with the grace period),
   * `read_only_end` (then denied), `online_check_in` (nothing but going online), or null when unknown.
   */
  endsWith: 'check_in_due' | 'grace_end' | 'read_only_end' | 'online_check_in' | null;
  /** The stored `exp` of the offline token; null when none is stored or the outlook does not depend on it. */
  tokenExpiresAt: string | null;
  /** `exp` + the grace period (full access ends); null with `tokenExpiresAt`. */
  fullUntil: string | null;
  /** The end of the read-only period when it is bounded (readOnlyHours or the check-in); null otherwise. */
  readOnlyUntil: string | null;
  /** `last_verified_token` when the outlook comes from the stored `exp`; null otherwise. */
  basis: 'last_verified_token' | null;
}

export interface UnlockAttemptsFacts {
  failures: number;
  attemptsLeft: number;
  retryAt: string | null;
  lockedOut: boolean;
  /** Whether the keychain's mirror of the counter was read too (else the database's count only). */
  keychainMirrorRead: boolean;
  /** The counter row's MAC failed: it was edited outside FieldKey, and no PIN is tried until an online sign-in. */
  tampered: boolean;
}

export interface AccountFacts extends SectionBase {
  /** The opaque account id (a digest of issuer and sub). */
  id: string;
  displayName: string;
  email: string | null;
  issuer: string;
  sealedSession: boolean;
  lastCheckIn: string | null;
  checkInDueAt: string | null;
  unlockAttempts: UnlockAttemptsFacts | null;
  offline: OfflineOutlook;
}

export interface AccountsSection extends SectionBase {
  count: number;
  maxAccounts: number | null;
  accounts: AccountFacts[];
}

export interface AuditRetentionSettings {
  days: number;
  rows: number;
}

export interface AuditSection extends SectionBase {
  /** Whether the database has the audit tables. */
  present: boolean;
  intact: boolean | null;
  rows: number | null;
  headSeq: number | null;
  headHash: string | null;
  /** Rows up to this seq were removed by retention. */
  anchorSeq: number | null;
  /** The policy's retention, which the app applies when it starts; null without a valid policy. */
  retention: AuditRetentionSettings | null;
  problemCount: number;
  /** The first AUDIT_PROBLEMS_SHOWN problems; `fieldkey audit verify` lists all. */
  problems: AuditProblem[];
}

export interface ApiSection extends SectionBase {
  /** The policy's `api.baseUrl`; null when it names none. */
  baseUrl: string | null;
  /** Whether a GET of the base URL without a token got an HTTP answer below 500; null when not probed. */
  reachable: boolean | null;
  httpStatus: number | null;
  /** Note changes waiting per account (only accounts with some). */
  outbox: { accountId: string; depth: number }[];
}

export interface DoctorReport {
  version: typeof DOCTOR_REPORT_VERSION;
  generatedAt: string;
  healthy: boolean;
  problemCount: number;
  /** Every problem of every section, in section order. */
  problems: SectionFinding[];
  notes: SectionFinding[];
  policy: PolicySection;
  database: DatabaseSection;
  keychain: KeychainSection;
  jwks: JwksSection;
  clock: ClockSection;
  accounts: AccountsSection;
  audit: AuditSection;
  api: ApiSection;
}

export const EXIT_HEALTHY = 0;
export const EXIT_PROBLEMS = 1;

/** The status findings give: any problem wins, then any note; `ok` without findings. */
export function statusOf(findings: readonly Finding[]): CheckStatus {
  if (findings.some((f) => f.severity === 'problem')) return 'problem';
  return findings.length > 0 ? 'note' : 'ok';
}

/** Status and findings of a section, from its findings. */
export function checked(findings: Finding[]): SectionBase {
  return { status: statusOf(findings), findings, skippedBecause: null };
}

/** A section that could not be checked, and why. */
export function skipped(because: string): SectionBase {
  return { status: 'skipped', findings: [], skippedBecause: because };
}

export function problem(code: string, message: string): Finding {
  return { severity: 'problem', code, message };
}

export function note(code: string, message: string): Finding {
  return { severity: 'note', code, message };
}

export function doctorExitCode(report: Pick<DoctorReport, 'healthy'>): number {
  return report.healthy ? EXIT_HEALTHY : EXIT_PROBLEMS;
}

export function iso(date: Date): string;
export function iso(date: Date | null | undefined): string | null;
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

export function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
