/**
 * The doctor report for people: one block per section, a status marker (OK, NOTE, PROBLEM, SKIPPED)
 * beside its name, aligned facts, then each finding. Values that came from outside (display names,
 * key ids, IdP messages) are shown with control characters replaced, so they cannot drive the
 * terminal. It renders only what the report holds, and the report holds no secret.
 */
import type {
  AccountFacts,
  AccountsSection,
  ApiSection,
  AuditSection,
  CheckStatus,
  ClockSection,
  DatabaseSection,
  DoctorReport,
  Finding,
  JwksSection,
  KeychainSection,
  OfflineOutlook,
  PolicySection,
  SectionBase,
} from './doctor-report';
import { formatDuration, relativeTo } from './durations-text';
import { THEN_WORDS } from './account-check';

const MARK: Record<CheckStatus, string> = { ok: 'OK', note: 'NOTE', problem: 'PROBLEM', skipped: 'SKIPPED' };
const NAME_WIDTH = 11;
const MARK_WIDTH = 9;
/** Where fact values start, whatever the label's indent. */
const VALUE_COLUMN = 20;

/** Control characters (C0, DEL, C1) shown as `?`. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function renderDoctorText(report: DoctorReport): string {
  const now = new Date(report.generatedAt);
  const blocks = [
    `FieldKey doctor, ${report.generatedAt}`,
    policyBlock(report.policy),
    databaseBlock(report.database),
    keychainBlock(report.keychain),
    jwksBlock(report.jwks, now),
    clockBlock(report.clock),
    accountsBlock(report.accounts, now),
    auditBlock(report.audit),
    apiBlock(report.api),
    report.healthy
      ? `Result: healthy (no problems${report.notes.length > 0 ? `, ${report.notes.length} note(s)` : ''}).`
      : `Result: ${report.problemCount} problem(s) found: ${[...new Set(report.problems.map((p) => p.code))].join(', ')}.`,
  ];
  return blocks.join('\n\n') + '\n';
}

function header(name: string, section: SectionBase, summary = ''): string {
  return `${name.padEnd(NAME_WIDTH)}${MARK[section.status].padEnd(MARK_WIDTH)}${printable(summary)}`.trimEnd();
}

function fact(label: string, value: string, indent = '  '): string {
  const width = Math.max(VALUE_COLUMN - indent.length, label.length + 1);
  return `${indent}${printable(label).padEnd(width)}${printable(value)}`;
}

function findingLines(section: SectionBase, indent = '  '): string[] {
  const lines: string[] = [];
  if (section.status === 'skipped' && section.skippedBecause) lines.push(`${indent}skipped: ${printable(section.skippedBecause)}`);
  for (const finding of section.findings) lines.push(...findingText(finding, indent));
  return lines;
}

function findingText(finding: Finding, indent: string): string[] {
  const [first, ...rest] = finding.message.split('\n');
  const mark = finding.severity === 'problem' ? 'PROBLEM' : 'NOTE';
  return [`${indent}${mark} ${finding.code}: ${printable(first ?? '')}`, ...rest.map((line) => `${indent}  ${printable(line.trim())}`)];
}

function block(head: string, facts: string[], section: SectionBase, indent = '  '): string {
  return [head, ...facts, ...findingLines(section, indent)].join('\n');
}

function policyBlock(p: PolicySection): string {
  const facts: string[] = [];
  if (p.settings) {
    const s = p.settings;
    facts.push(fact('issuer', s.issuer));
    facts.push(fact('client', `${s.clientId}${s.audience !== s.clientId ? ` (audience ${s.audience})` : ''}`));
    if (s.idp === 'fusionauth') facts.push(fact('IdP', "FusionAuth: sign-out revokes through FusionAuth's Logout API"));
    facts.push(
      fact(
        'offline token',
        `${s.offlineToken} token; full ${s.gracePeriodHours} h past expiry, then read-only ${s.readOnlyHours === null ? 'until the check-in' : `${s.readOnlyHours} h`}; check-in every ${s.checkInIntervalDays} d`,
      ),
    );
    facts.push(fact('JWKS refresh', `every ${s.jwksRefreshDays} d; clock skew ${s.clockSkewSeconds} s`));
    facts.push(fact('algorithms', s.allowedAlgorithms.join(', ')));
    facts.push(
      fact('PIN', `at least ${s.pinMinLength} characters (digits are fine); ${s.maxAttempts} attempts; up to ${s.maxAccounts} account(s)`),
    );
  }
  if (p.bundledJwks) {
    const b = p.bundledJwks;
    facts.push(
      fact(
        'bundled JWKS',
        `${b.path} (${b.valid ? `${b.keyCount} key(s)${b.kids.length > 0 ? `: ${b.kids.join(', ')}` : ''}` : 'unusable'})`,
      ),
    );
  } else if (p.valid) {
    facts.push(fact('bundled JWKS', 'none'));
  }
  const summary = p.source ? p.source.description : p.errorCode === 'policy_invalid' ? 'invalid' : 'not loaded';
  return block(header('Policy', p, summary), facts, p);
}

function databaseBlock(d: DatabaseSection): string {
  const facts: string[] = [];
  if (d.opened) {
    facts.push(fact('schema', `${d.schemaVersion ?? 'unknown'} (this FieldKey: ${d.codeSchemaVersion})`));
    facts.push(fact('integrity', d.integrity ?? 'not checked'));
    for (const error of d.integrityErrors.slice(0, 5)) facts.push(fact('', error));
  }
  return block(header('Database', d, `${d.file}${d.exists ? '' : ' (no data yet)'}`), facts, d);
}

function keychainBlock(k: KeychainSection): string {
  return block(header('Keychain', k, `service ${JSON.stringify(k.service)}: ${k.reachable ? 'reachable' : 'not reachable'}`), [], k);
}

function jwksBlock(j: JwksSection, now: Date): string {
  const facts: string[] = [];
  if (j.status !== 'skipped') {
    const unusable = j.keys.length - j.usableCount - j.removedCount;
    facts.push(fact('keys', `${j.usableCount} usable, ${j.removedCount} removed${unusable > 0 ? `, ${unusable} unusable` : ''}`));
    for (const key of j.keys) {
      const state = key.state === 'removed' && key.removedAt ? `removed ${key.removedAt}` : key.state;
      const algorithms = key.alg ?? (key.algorithms.length > 0 ? key.algorithms.join('/') : '-');
      facts.push(fact(key.kid ?? '(no kid)', [algorithms.padEnd(6), key.type.padEnd(11), key.source.padEnd(8), state].join(' '), '    '));
    }
    facts.push(fact('verifies', j.verifiableAlgorithms.length > 0 ? j.verifiableAlgorithms.join(', ') : 'no allowed algorithm'));
    facts.push(
      fact(
        'last fetch',
        j.lastSuccessfulFetch
          ? `${j.lastSuccessfulFetch} (${relativeTo(now, new Date(j.lastSuccessfulFetch))}; refresh every ${j.refreshDays} d)`
          : 'never (from the identity provider)',
      ),
    );
  }
  return block(header('JWKS', j, j.issuer ? `issuer ${j.issuer}` : ''), facts, j);
}

function clockBlock(c: ClockSection): string {
  const facts = [fact('local now', c.now)];
  if (c.lastServerTime) {
    const offset = c.offsetSeconds ?? 0;
    const drift = offset === 0 ? 'in step' : `${formatDuration(Math.abs(offset) * 1000)} ${offset > 0 ? 'ahead' : 'behind'}`;
    facts.push(fact('last server time', `${c.lastServerTime} (seen at local ${c.lastServerTimeSeenAt}; local clock ${drift})`));
    facts.push(fact('trusted estimate', c.trustedNow ?? 'unknown'));
  } else {
    facts.push(fact('last server time', 'none yet'));
  }
  facts.push(fact('high-water mark', c.highWater ?? 'none yet'));
  if (c.trusted !== null) {
    facts.push(
      fact(
        'rolled back',
        c.trusted
          ? `no (tolerated skew ${c.skewSeconds} s)`
          : `YES: behind the ${c.rollbackBecause === 'server_time' ? 'last server time' : c.rollbackBecause === 'high_water' ? 'high-water mark' : 'records'}${c.behindSeconds !== null ? ` by ${formatDuration(c.behindSeconds * 1000)}` : ''}`,
      ),
    );
  }
  return block(header('Clock', c), facts, c);
}

function accountsBlock(a: AccountsSection, now: Date): string {
  const lines = [header('Accounts', a, `${a.count} account(s)${a.maxAccounts !== null ? ` (policy allows ${a.maxAccounts})` : ''}`)];
  lines.push(...findingLines(a));
  for (const account of a.accounts) lines.push(...accountLines(account, now));
  return lines.join('\n');
}

function accountLines(account: AccountFacts, now: Date): string[] {
  const name = `${account.displayName}${account.email ? ` <${account.email}>` : ''}`;
  const lines = [`  ${MARK[account.status].padEnd(MARK_WIDTH)}${printable(name)}`];
  const indent = '    ';
  lines.push(fact('issuer', account.issuer, indent));
  lines.push(fact('sealed session', account.sealedSession ? 'yes' : 'no', indent));
  lines.push(
    fact(
      'last check-in',
      account.lastCheckIn ? `${account.lastCheckIn} (${relativeTo(now, new Date(account.lastCheckIn))})` : 'none recorded',
      indent,
    ),
  );
  if (account.checkInDueAt)
    lines.push(fact('check-in due', `${account.checkInDueAt} (${relativeTo(now, new Date(account.checkInDueAt))})`, indent));
  if (account.unlockAttempts) {
    const u = account.unlockAttempts;
    lines.push(
      fact('failed unlocks', `${u.failures} (${u.attemptsLeft} left${u.retryAt ? `; next attempt at ${u.retryAt}` : ''})`, indent),
    );
  }
  const o = account.offline;
  lines.push(fact('offline now', OFFLINE_NOW[o.decision](o.reason), indent));
  if (o.tokenExpiresAt) {
    const readOnly = o.readOnlyUntil ? `read-only until ${o.readOnlyUntil}` : 'then read-only until an online check-in';
    lines.push(
      fact(
        'token expires',
        `${o.tokenExpiresAt} (${relativeTo(now, new Date(o.tokenExpiresAt))}; full access until ${o.fullUntil}, ${readOnly})`,
        indent,
      ),
    );
  }
  const until = o.holdsUntil
    ? `${o.holdsUntil} (${relativeTo(now, new Date(o.holdsUntil))}; ${THEN_WORDS[o.endsWith ?? 'check_in_due']})`
    : o.endsWith === 'online_check_in'
      ? 'an online check-in or sign-in'
      : 'unknown';
  lines.push(fact('holds until', until, indent));
  if (o.basis === 'last_verified_token') lines.push(fact('based on', 'the last verified token (signature re-checked at unlock)', indent));
  // A denial or the grace period is also a finding, which shows the message below.
  if (o.decision === 'depends_on_token' || (o.decision === 'full' && o.reason === 'valid')) lines.push(`${indent}${printable(o.message)}`);
  lines.push(...findingLines(account, indent));
  return lines;
}

const OFFLINE_NOW: Record<OfflineOutlook['decision'], (reason: string) => string> = {
  full: (reason) => (reason === 'grace_period' ? 'FULL (grace period)' : 'FULL'),
  'read-only': () => 'READ-ONLY',
  denied: (reason) => `DENIED (${reason})`,
  depends_on_token: () => 'depends on the cached token: unlock to see',
};

function auditBlock(a: AuditSection): string {
  let summary = '';
  if (a.intact === true) summary = `${a.rows} row(s), chain intact${a.headSeq !== null ? ` (head seq ${a.headSeq})` : ''}`;
  else if (a.intact === false) summary = `${a.rows} row(s), chain BROKEN (${a.problemCount} problem(s))`;
  const facts = a.problems.map((p) => fact(`seq ${p.seq}`, `${p.problem}: ${p.detail}`));
  if (a.retention)
    facts.push(fact('retention', `${a.retention.days} days, at most ${a.retention.rows} rows (applied when FieldKey starts)`));
  return block(header('Audit log', a, summary), facts, a);
}

export function apiBlock(a: ApiSection): string {
  const summary =
    a.baseUrl === null
      ? ''
      : `${a.baseUrl}${a.reachable === true ? `: reachable (HTTP ${a.httpStatus})` : a.reachable === false ? ': not reachable' : ''}`;
  const facts = a.outbox.map((row) => fact(`outbox ${row.accountId.slice(0, 12)}`, `${row.depth} change(s) waiting`));
  return block(header('Field API', a, summary), facts, a);
}
