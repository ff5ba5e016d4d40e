/**
 * `fieldkey doctor`: gathers the facts of this install into one DoctorReport (doctor-report.ts).
 * Everything it touches is passed in (clock, policy loader, files, database opener, keychain), so
 * tests run it without a real machine; the CLI passes the real ones (cli/doctor-command.ts).
 *
 * It only reads: the database is opened read-only and never created or migrated, the keychain is
 * probed with a read, a write and a delete of one entry no account uses (keychain-check.ts), each
 * account's device key is read to check its sealed row's key id and MAC (session-key-check.ts), the
 * high-water mark is not raised, and no PIN is asked for (so a sealed token is never opened; account-check.ts decides from the offline token's
 * `exp` stored in clear beside it, when the schema and the row have one).
 */
import { AccountStore, type Account } from '../accounts/account-store';
import { readAuditKeys, type AuditKeys } from '../audit/audit-keying';
import type { Clock } from '../clock';
import type { LoadedPolicy } from '../policy/load-policy';
import type { Policy } from '../policy/policy-types';
import { AttemptCounter, type AttemptState } from '../secrets/attempt-counter';
import { sealedEnvelopes, sealedSessionFacts } from '../secrets/sealed-session-store';
import type { SecretStore } from '../secrets/secret-store';
import type { Database } from '../../adapters/sqlite/database';
import { JwksStore } from '../records/jwks-store';
import { migrations } from '../records/migrations';
import { timeRecordMacsSchema } from '../records/migrations/007-time-record-macs';
import type { RecordMac } from '../records/record-mac';
import { hasColumn } from '../records/schema';
import { TimeRecords } from '../records/time-records';
import { checkAccount } from './account-check';
import { checkApi } from './api-check';
import type { FetchFn } from '../oauth/http-client';
import { outboxDepths } from '../sync/sync-store';
import { checkAudit, retentionOf, type RetentionPolicy } from './audit-check';
import { checkClock, type ClockCheck } from './clock-check';
import { checkDatabase, sqliteMessage } from './database-check';
import {
  DOCTOR_REPORT_VERSION,
  checked,
  note,
  problem,
  skipped,
  statusOf,
  type AccountFacts,
  type AccountsSection,
  type AuditSection,
  type ClockSection,
  type DoctorReport,
  type Finding,
  type JwksSection,
  type SectionBase,
  type SectionFinding,
  type SectionName,
} from './doctor-report';
import { checkJwks, type JwksCheck } from './jwks-check';
import { checkKeychain, checkOrphanedEntries } from './keychain-check';
import { checkPolicy } from './policy-check';
import { checkSessionKeys } from './session-key-check';

export interface DoctorDeps {
  clock: Clock;
  /** Finds and validates the policy (`loadPolicy` with the CLI's environment). */
  loadPolicy: () => Promise<LoadedPolicy>;
  /** Reads a file's bytes (the bundled `jwks.json`). */
  readFile: (path: string) => Buffer;
  /** `databaseFile(env)`. */
  databaseFile: string;
  fileExists: (path: string) => boolean;
  /** `openDatabase(file, { readonly: true })`. */
  openReadOnly: (file: string) => Database;
  /** The OS keychain under this install's service name. */
  secrets: SecretStore;
  keychainService: string;
  keychainTimeoutMs?: number;
  /** For the Field API probe (a GET without a token); without it the API is not probed. */
  fetch?: FetchFn;
  apiTimeoutMs?: number;
}

/** Schema versions that brought the tables each check reads (storage/migrations.ts). */
const CORE_SCHEMA = 1;
const ACCOUNTS_SCHEMA = 2;
const SESSION_EXPIRY_SCHEMA = 5;
/** The migration that added the clock records' MAC columns (its number once every migration before it is in). */
const TIME_RECORD_MAC_SCHEMA = migrations.indexOf(timeRecordMacsSchema) + 1;
const NOTE_SYNC_SCHEMA = 6;

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const now = deps.clock.now();
  const [policyCheck, keychain] = await Promise.all([
    checkPolicy({ loadPolicy: deps.loadPolicy, readFile: deps.readFile }),
    checkKeychain(deps.secrets, deps.keychainService, deps.keychainTimeoutMs),
  ]);
  const policy = policyCheck.policy;
  const database = checkDatabase({ file: deps.databaseFile, exists: deps.fileExists, openReadOnly: deps.openReadOnly });

  let jwks: JwksSection;
  let clock: ClockSection;
  let accounts: AccountsSection;
  let audit: AuditSection;
  let depths: Map<string, number> | undefined;
  /** True when the database is known to hold no account: no file, a file without the accounts table (an empty file), or an empty table. */
  let noAccountsStored = !database.section.exists;
  const db = database.db;
  if (!db) {
    const because = database.section.exists ? 'the database could not be opened' : 'no data yet';
    jwks = { ...emptyJwks(policy), ...skipped(because) };
    clock = { ...emptyClock(now), ...skipped(because) };
    accounts = { ...skipped(because), count: 0, maxAccounts: policy?.maxAccounts ?? null, accounts: [] };
    audit = { ...emptyAudit(policy), ...skipped(because) };
  } else {
    try {
      const version = database.section.schemaVersion ?? 0;
      const list = version >= ACCOUNTS_SCHEMA ? guarded('accounts', () => new AccountStore(db, deps.clock).list()) : undefined;
      // The installation's record MAC key and audit head, from the keychain (read only, never created).
      const keys: AuditKeys =
        keychain.reachable && version >= TIME_RECORD_MAC_SCHEMA ? await readAuditKeys(deps.secrets).catch((): AuditKeys => ({})) : {};
      const clockCheck = version >= CORE_SCHEMA ? guarded('clock records', () => clockFacts(db, now, policy, keys.mac)) : undefined;
      const jwksCheck =
        policy && version >= CORE_SCHEMA
          ? guarded('cached key set', () => jwksFacts(db, deps.clock, now, policy, list?.value?.length ?? 0, keys.mac))
          : undefined;

      jwks =
        jwksCheck?.value?.section ??
        sectionOr(jwksCheck?.failure, {
          ...emptyJwks(policy),
          ...skipped(policy ? 'the database has no key cache yet' : 'no valid policy'),
        });
      clock =
        clockCheck?.value?.section ??
        sectionOr(clockCheck?.failure, { ...emptyClock(now), ...skipped('the database has no clock records yet') });
      const noAccounts = { count: 0, maxAccounts: policy?.maxAccounts ?? null, accounts: [] };
      noAccountsStored = !list || list.value?.length === 0;
      if (!list) {
        accounts = { ...skipped('the database has no accounts yet; FieldKey adds them when it next starts'), ...noAccounts };
      } else if (list.value) {
        try {
          accounts = await accountsFacts(
            db,
            deps,
            now,
            policy,
            list.value,
            keychain.reachable,
            clockCheck?.value,
            jwksCheck?.value,
            version >= SESSION_EXPIRY_SCHEMA,
            keys.mac,
          );
        } catch (error) {
          accounts = { ...checked([unreadable('accounts', error)]), ...noAccounts };
        }
      } else {
        accounts = { ...checked([list.failure!]), ...noAccounts };
      }
      if ((database.section.schemaVersion ?? 0) >= NOTE_SYNC_SCHEMA) depths = guarded('outbox', () => outboxDepths(db)).value;
      const auditCheck = guarded('audit log', () => checkAudit(db, policy, keys));
      audit = auditCheck.value ?? { ...emptyAudit(policy), ...checked([auditCheck.failure!]), present: true };
    } finally {
      db.close();
    }
  }

  // No account in the database (none there, or the file missing or empty) beside account entries in the keychain.
  if (keychain.reachable && noAccountsStored) {
    const orphaned = await checkOrphanedEntries(deps.secrets, deps.keychainService, deps.databaseFile).catch(() => undefined);
    if (orphaned) database.section = { ...database.section, ...checked([...database.section.findings, orphaned]) };
  }

  const api = await checkApi({
    policy,
    fetch: deps.fetch,
    outboxDepths: depths,
    ...(deps.apiTimeoutMs !== undefined ? { timeoutMs: deps.apiTimeoutMs } : {}),
  });

  const sections: [SectionName, SectionBase][] = [
    ['policy', policyCheck.section],
    ['database', database.section],
    ['keychain', keychain],
    ['jwks', jwks],
    ['clock', clock],
    ['accounts', accounts],
    ['audit', audit],
    ['api', api],
  ];
  const all: SectionFinding[] = [];
  for (const [section, facts] of sections) {
    for (const finding of facts.findings) all.push({ section, accountId: null, ...finding });
    if (section === 'accounts') {
      for (const account of accounts.accounts)
        for (const finding of account.findings) all.push({ section, accountId: account.id, ...finding });
    }
  }
  const problems = all.filter((f) => f.severity === 'problem');
  return {
    version: DOCTOR_REPORT_VERSION,
    generatedAt: now.toISOString(),
    healthy: problems.length === 0,
    problemCount: problems.length,
    problems,
    notes: all.filter((f) => f.severity === 'note'),
    policy: policyCheck.section,
    database: database.section,
    keychain,
    jwks,
    clock,
    accounts,
    audit,
    api,
  };
}

interface Guarded<T> {
  value?: T;
  failure?: Finding;
}

/** Runs a read; a damaged database that throws becomes a `database_unreadable` problem of that section. */
function guarded<T>(what: string, read: () => T): Guarded<T> {
  try {
    return { value: read() };
  } catch (error) {
    return { failure: unreadable(what, error) };
  }
}

function unreadable(what: string, error: unknown): Finding {
  const detail = sqliteMessage(error);
  return problem(
    'database_unreadable',
    `The ${what} cannot be read from the database${detail ? ` (${detail})` : ''}; see the database check.`,
  );
}

function sectionOr<T extends SectionBase>(failure: Finding | undefined, fallback: T): T {
  return failure ? { ...fallback, ...checked([failure]) } : fallback;
}

function emptyJwks(policy: Policy | undefined): Omit<JwksSection, keyof SectionBase> {
  return {
    issuer: policy?.issuer ?? null,
    keys: [],
    usableCount: 0,
    removedCount: 0,
    verifiableAlgorithms: [],
    lastSuccessfulFetch: null,
    ageSeconds: null,
    refreshDays: policy?.jwksRefreshDays ?? null,
    stale: null,
  };
}

function emptyAudit(policy: RetentionPolicy | undefined): Omit<AuditSection, keyof SectionBase> {
  return {
    present: false,
    intact: null,
    rows: null,
    headSeq: null,
    headHash: null,
    anchorSeq: null,
    retention: retentionOf(policy),
    problemCount: 0,
    problems: [],
  };
}

function emptyClock(now: Date): Omit<ClockSection, keyof SectionBase> {
  return {
    now: now.toISOString(),
    lastServerTime: null,
    lastServerTimeSeenAt: null,
    trustedNow: null,
    offsetSeconds: null,
    highWater: null,
    skewSeconds: null,
    trusted: null,
    rollbackBecause: null,
    behindSeconds: null,
  };
}

/** The clock records as stored; with the record MAC key, also whether they verify (read-only: `protect` writes only for a new key). */
function clockFacts(db: Database, now: Date, policy: Policy | undefined, mac: RecordMac | undefined): ClockCheck {
  const times = new TimeRecords(db);
  let recordsTampered = false;
  if (mac) {
    const verified = new TimeRecords(db);
    verified.protect(mac, false);
    recordsTampered = verified.integrity() === 'tampered';
  }
  return checkClock({
    now,
    lastServerTime: times.lastServerTime(),
    trustedNow: times.trustedNow(now),
    highWater: times.highWater(),
    policy,
    recordsTampered,
  });
}

function jwksFacts(db: Database, clock: Clock, now: Date, policy: Policy, accountCount: number, mac: RecordMac | undefined): JwksCheck {
  const store = new JwksStore(db, clock);
  const untrustedCount = mac && hasColumn(db, 'jwks_keys', 'mac') ? store.untrustedKeyCount(policy.issuer, mac) : 0;
  return checkJwks({
    policy,
    records: store.keyRecords(policy.issuer),
    lastSuccessfulFetch: store.lastSuccessfulFetch(policy.issuer),
    now,
    accountCount,
    untrustedCount,
  });
}

async function accountsFacts(
  db: Database,
  deps: DoctorDeps,
  now: Date,
  policy: Policy | undefined,
  list: readonly Account[],
  keychainReachable: boolean,
  clockCheck: ClockCheck | undefined,
  jwksCheck: JwksCheck | undefined,
  withExpiry: boolean,
  mac: RecordMac | undefined,
): Promise<AccountsSection> {
  const sealed = sealedSessionFacts(db, withExpiry);
  const times = new TimeRecords(db);
  const counter = new AttemptCounter(db, deps.secrets);
  if (mac && hasColumn(db, 'unlock_attempts', 'mac')) counter.protect(mac);
  // A locked or absent keychain reads as empty: the device keys are judged only when it is open.
  const sessionProblems = keychainReachable
    ? await checkSessionKeys(deps.secrets, sealedEnvelopes(db)).catch(() => new Map<string, Finding>())
    : new Map<string, Finding>();
  const accounts: AccountFacts[] = [];
  for (const account of list) {
    accounts.push(
      checkAccount({
        account,
        now,
        policy,
        hasSealedSession: sealed.has(account.id),
        sessionProblem: sessionProblems.get(account.id),
        offlineExpiresAt: storedExpiry(sealed.get(account.id)?.offlineExpiresAt),
        lastCheckIn: times.lastCheckIn(account.id),
        attempts: await readAttempts(counter, account.id, keychainReachable),
        clockTrust: clockCheck?.trust,
        cannotVerify: jwksCheck?.cannotVerify,
      }),
    );
  }
  const findings: Finding[] = [];
  if (policy && accounts.length > policy.maxAccounts) {
    findings.push(
      note(
        'too_many_accounts',
        `${accounts.length} accounts are stored, more than the ${policy.maxAccounts} the policy now allows: no account can be added until some are removed.`,
      ),
    );
  }
  const own = statusOf([...findings, ...accounts.flatMap((a) => a.findings)]);
  const status = accounts.length > 0 && accounts.every((a) => a.status === 'skipped') ? 'skipped' : own;
  return {
    status,
    findings,
    skippedBecause: status === 'skipped' ? (accounts[0]?.skippedBecause ?? null) : null,
    count: accounts.length,
    maxAccounts: policy?.maxAccounts ?? null,
    accounts,
  };
}

function storedExpiry(ms: number | null | undefined): Date | undefined {
  if (ms === null || ms === undefined) return undefined;
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

/** The failed-unlock count: the larger of the database's and the keychain mirror's when the keychain answers. */
async function readAttempts(
  counter: AttemptCounter,
  accountId: string,
  keychainReachable: boolean,
): Promise<{ state: AttemptState; mirrorRead: boolean }> {
  if (keychainReachable) {
    try {
      return { state: await counter.read(accountId), mirrorRead: true };
    } catch {
      // The keychain went away since the probe: the database's count still applies.
    }
  }
  return { state: counter.readDatabase(accountId), mirrorRead: false };
}
