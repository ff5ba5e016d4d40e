import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatDuration, relativeTo } from '../../../../src/main/core/doctor/durations-text';
import { printable, renderDoctorText } from '../../../../src/main/core/doctor/render-doctor';
import { runDoctor } from '../../../../src/main/core/doctor/run-doctor';
import {
  DAY_MS,
  installDoctorDeps,
  memorySecretStore,
  policyDocument,
  seedInstall,
  tempInstall,
  testKeys,
  tokensExpiringAt,
  type Install,
  type SeedOptions,
  type TestKeys,
} from './doctor-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
let install: Install;
let keys: TestKeys;
beforeAll(async () => {
  keys = await testKeys();
});
beforeEach(() => {
  install = tempInstall();
});
afterEach(() => install.cleanup());

async function render(seed: Partial<SeedOptions> | undefined): Promise<string> {
  const secrets = memorySecretStore();
  if (seed) {
    await seedInstall(install.dbFile, {
      now: NOW,
      keys,
      secrets,
      jwksAgeMs: DAY_MS,
      serverTimeAgeMs: 2 * DAY_MS,
      accounts: [{ displayName: 'Alice Example', email: 'alice@example.com', subject: 'alice', checkInAgeMs: 2 * DAY_MS }],
      auditEvents: 3,
      ...seed,
    });
  }
  const report = await runDoctor(installDoctorDeps(install, { now: NOW, secrets, keychainService: 'FieldKey' }));
  return renderDoctorText(report);
}

const SECTIONS = ['Policy', 'Database', 'Keychain', 'JWKS', 'Clock', 'Accounts', 'Audit log', 'Field API'];

describe('renderDoctorText', () => {
  it('one block per section, the marker in one column, facts aligned, then the result', async () => {
    const text = await render({});
    const lines = text.split('\n');
    expect(lines[0]).toBe(`FieldKey doctor, ${NOW.toISOString()}`);
    const headers = lines.filter((line) => /^[A-Z]/.test(line) && !line.startsWith('FieldKey') && !line.startsWith('Result'));
    expect(headers.map((line) => line.slice(0, 11).trim())).toEqual(SECTIONS);
    // The fixture's policy names no Field API: notes stay on the laptop, the API is not probed.
    for (const line of headers) expect(line.slice(11, 20).trim()).toBe(line.startsWith('Field API') ? 'SKIPPED' : 'OK');
    expect(text).toContain('\n  issuer            https://idp.example.test\n');
    expect(text).toContain(
      [
        'Accounts   OK       1 account(s) (policy allows 5)',
        '  OK       Alice Example <alice@example.com>',
        '    issuer          https://idp.example.test',
        '    sealed session  yes',
        '    last check-in   2026-05-30T12:00:00.000Z (2 d ago)',
        '    check-in due    2026-06-06T12:00:00.000Z (in 5 d)',
        '    failed unlocks  0 (5 left)',
        '    offline now     depends on the cached token: unlock to see',
        '    holds until     2026-06-06T12:00:00.000Z (in 5 d; then the check-in is overdue)',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '  keys              2 usable, 1 removed',
        '    rsa-old         RS256  RSA         network  removed 2026-05-31T12:00:00.000Z',
        '    rsa-1           RS256  RSA         network  usable',
        '    ec-1            ES256  EC P-256    network  usable',
        '  verifies          RS256, ES256',
      ].join('\n'),
    );
    expect(text).toContain('\n  last fetch        2026-05-31T12:00:00.000Z (1 d ago; refresh every 7 d)\n');
    expect(text).toContain(
      '\nAudit log  OK       3 row(s), chain intact (head seq 3)\n  retention         365 days, at most 100000 rows (applied when FieldKey starts)\n',
    );
    expect(text.endsWith('\n\nResult: healthy (no problems).\n')).toBe(true);
  });

  it('names FusionAuth when the policy says so (how sign-out revokes), and nothing for a standards-only IdP', async () => {
    expect(await render(undefined)).not.toContain('  IdP ');
    install.writePolicy(policyDocument({ idp: 'fusionauth' }));
    expect(await render(undefined)).toContain("\n  IdP               FusionAuth: sign-out revokes through FusionAuth's Logout API\n");
  });

  it('problems under their section, and the result names their codes', async () => {
    const text = await render({ highWaterOffsetMs: DAY_MS, accounts: [{ displayName: 'Bob', subject: 'bob', checkInAgeMs: 8 * DAY_MS }] });
    expect(text).toMatch(/\nClock {6}PROBLEM\n/);
    expect(text).toContain('\n  rolled back       YES: behind the high-water mark by 1 d\n');
    expect(text).toMatch(
      /\n {2}PROBLEM clock_rollback: The local clock \(2026-06-01T12:00:00\.000Z\) is earlier than a time this device already saw/,
    );
    expect(text).toContain('\n    offline now     DENIED (clock_rollback)\n');
    expect(text).toContain('\n    holds until     an online check-in or sign-in\n');
    expect(text).toContain('\nResult: 2 problem(s) found: clock_rollback.\n');
  });

  it('an invalid policy: one line per field problem, indented under the finding', async () => {
    install.writePolicy(policyDocument({ gracePeriodHours: -1, clockSkewSeconds: 'lots' }));
    const text = await render(undefined);
    expect(text).toMatch(
      /\nPolicy {5}PROBLEM {2}invalid\n {2}PROBLEM policy_invalid: Policy .* is invalid \(2 problems\):\n {4}gracePeriodHours: .*\n {4}clockSkewSeconds: .*\n/,
    );
  });

  it('control characters from outside (a display name from the IdP) cannot drive the terminal', async () => {
    const text = await render({ accounts: [{ displayName: 'Eve\u001b[2J\u001b]0;owned\u0007', subject: 'eve', checkInAgeMs: DAY_MS }] });
    expect(text).toContain('  OK       Eve?[2J?]0;owned?\n');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('printable replaces C0, DEL and C1 controls only', () => {
    expect(printable('a\tb\nc\u007fd\u009be é✓')).toBe('a?b?c?d?e é✓');
  });
});

describe('durations', () => {
  it.each([
    [0, '0 s'],
    [400, '0 s'],
    [42_000, '42 s'],
    [125_000, '2 min 5 s'],
    [3_600_000, '1 h'],
    [3 * DAY_MS + 4 * 3_600_000 + 59_000, '3 d 4 h'],
    [3 * DAY_MS + 60_000, '3 d'],
    [-90_000, '1 min 30 s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('relative to now', () => {
    expect(relativeTo(NOW, new Date(NOW.getTime() + DAY_MS))).toBe('in 1 d');
    expect(relativeTo(NOW, new Date(NOW.getTime() - 90_000))).toBe('1 min 30 s ago');
  });

  it('the decision from the stored expiry: what holds, until when, and that it rests on the last verified token', async () => {
    const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);
    const text = await render({
      accounts: [
        { displayName: 'Full', subject: 'full', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(3 * 3_600_000)) },
        { displayName: 'Grace', subject: 'grace', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(-2 * 3_600_000)) },
        { displayName: 'Expired', subject: 'expired', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(-2 * DAY_MS)) },
      ],
    });
    const based =
      'Based on the last verified token (its expiry, stored when it was sealed); its signature and claims are checked again at unlock.';
    expect(text).toContain(
      [
        '    offline now     FULL',
        '    token expires   2026-06-01T15:00:00.000Z (in 3 h; full access until 2026-06-02T15:00:00.000Z, read-only until 2026-06-06T12:00:00.000Z)',
        '    holds until     2026-06-02T15:05:00.000Z (in 1 d 3 h; then full access ends with the grace period)',
        '    based on        the last verified token (signature re-checked at unlock)',
        `    Full access: the cached token expires at 2026-06-01T15:00:00.000Z; this holds until 2026-06-02T15:05:00.000Z, then full access ends with the grace period. ${based}`,
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '    offline now     FULL (grace period)',
        '    token expires   2026-06-01T10:00:00.000Z (2 h ago; full access until 2026-06-02T10:00:00.000Z, read-only until 2026-06-06T12:00:00.000Z)',
        '    holds until     2026-06-02T10:05:00.000Z (in 22 h 5 min; then full access ends with the grace period)',
        '    based on        the last verified token (signature re-checked at unlock)',
        `    NOTE grace_period: Full access (grace period): the cached token expired at 2026-06-01T10:00:00.000Z; this holds until 2026-06-02T10:05:00.000Z, then full access ends with the grace period. ${based}`,
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '    offline now     READ-ONLY',
        '    token expires   2026-05-30T12:00:00.000Z (2 d ago; full access until 2026-05-31T12:00:00.000Z, read-only until 2026-06-06T12:00:00.000Z)',
        '    holds until     2026-06-06T12:00:00.000Z (in 5 d; then the check-in is overdue)',
        '    based on        the last verified token (signature re-checked at unlock)',
        '    NOTE read_only: Read-only: the cached token expired at 2026-05-30T12:00:00.000Z and the 24 h grace period is over; this holds until 2026-06-06T12:00:00.000Z, then the check-in is overdue.',
      ].join('\n'),
    );
  });
});
