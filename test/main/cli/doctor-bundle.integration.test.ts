/**
 * `fieldkey doctor --bundle FILE` after a real sign-in: the auth service with the demo IdP, headless
 * Chromium and the real Secret Service (service-harness.ts, run under scripts/with-keyring.sh)
 * signs a technician in, seals the session under a PIN, locks and unlocks, and writes its log lines to the
 * log file as the shell does. The bundle is then searched, as text, for every token the IdP handed
 * out and for the PIN. Also: the bundle's parts, a log written without redaction, and a file that
 * cannot be written.
 */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppState } from '../../../src/shared/app-state';
import { createDoctorCommand } from '../../../src/main/cli/doctor-command';
import type { SupportBundle } from '../../../src/main/cli/support-bundle';
import { launchChromium } from '../../helpers/browser-sign-in';
import { runCli } from '../../helpers/cli-run';
import { ServiceHarness } from '../core/auth/service-harness';

const PIN = '482915';
const REPO = join(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);
let browser: Browser;
let h: ServiceHarness;

const logDir = (): string => h.logDir;
const env = () => ({
  FIELDKEY_POLICY: h.policyFile,
  FIELDKEY_DATA_DIR: h.dir,
  FIELDKEY_KEYCHAIN_SERVICE: h.keychainService,
  FIELDKEY_LOG_DIR: logDir(),
});

beforeAll(async () => {
  browser = await launchChromium();
  h = new ServiceHarness({ browser, logFile: true });
  await h.start();
  await h.signInAs('tech1');
  await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
  await h.service.setPin(PIN, PIN);
  await h.waitFor((s: AppState) => s.status === 'unlocked' && s.online, 'unlocked online', 20_000);
  const accountId = h.service.activeAccountId()!;
  h.service.lock('user');
  await h.waitFor((s) => s.status === 'locked', 'locked');
  await h.service.unlock(accountId, PIN);
  await h.waitFor((s: AppState) => s.status === 'unlocked' && s.online, 'unlocked again', 20_000);
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await browser?.close();
});

async function bundle(file: string): Promise<{ code: number; stderr: string; text: string; parsed: SupportBundle }> {
  const result = await runCli(createDoctorCommand(), ['--bundle', file], { env: env() });
  const text = readFileSync(file, 'utf8');
  return { code: result.code, stderr: result.stderr, text, parsed: JSON.parse(text) as SupportBundle };
}

describe('doctor --bundle after a sign-in', () => {
  it('holds the doctor report, the versions and the log, and no token, refresh token or PIN', async () => {
    const file = join(h.dir, 'bundle.json');
    const { code, stderr, text, parsed } = await bundle(file);
    expect(stderr).toBe(`fieldkey doctor: support bundle written to ${file}\n`);
    expect([0, 1]).toContain(code);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect(parsed.bundleVersion).toBe(1);
    expect(parsed.versions).toMatchObject({
      fieldkey: 'unknown',
      node: process.versions.node,
      electron: null,
      os: { platform: 'linux', arch: process.arch },
    });
    expect(parsed.doctor.accounts.count).toBe(1);
    expect(parsed.doctor.accounts.accounts[0]!.sealedSession).toBe(true);
    expect(parsed.log.file).toBe(join(logDir(), 'fieldkey.log'));
    expect(parsed.log.tail).toContain(`INFO policy: issuer ${h.idp.issuer}`);
    expect(parsed.log.tail.split('\n').length).toBeGreaterThan(3);

    // The access token, ID token (JWTs) and refresh token of the sign-in (and of any refresh since).
    expect(h.tokens.size).toBeGreaterThanOrEqual(3);
    expect([...h.tokens].filter((token) => !token.startsWith('eyJ')).length).toBeGreaterThanOrEqual(1);
    const leaked = [...h.tokens].filter(
      (token) => text.includes(token) || token.split('.').some((part) => part.length > 20 && text.includes(part)),
    );
    expect(leaked).toEqual([]);
    expect(text).not.toContain(PIN);
  }, 60_000);

  it('redacts a log line written without redaction (an older FieldKey, or a hand edit)', async () => {
    const [token] = [...h.tokens];
    appendFileSync(join(logDir(), 'fieldkey.log'), `2026-01-01T00:00:00.000Z INFO debug dump refresh_token=${token} pin=${PIN}\n`);
    const { text, parsed } = await bundle(join(h.dir, 'bundle-2.json'));
    expect(parsed.log.tail).toContain('INFO debug dump refresh_token=[redacted] pin=[redacted]');
    expect(text).not.toContain(token!);
    expect(text).not.toContain(PIN);
  }, 60_000);

  it('a bundle that cannot be written is exit 2 with the reason, after the report', async () => {
    const result = await runCli(createDoctorCommand(), ['--bundle', join(h.dir, 'no-such-folder', 'bundle.json')], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Result:');
    expect(result.stderr).toMatch(/^fieldkey doctor: cannot write the support bundle to .*no-such-folder.*bundle\.json: .+\n$/);
    expect((await runCli(createDoctorCommand(), ['--bundle='], { env: env() })).stderr).toContain('--bundle needs a file name');
  }, 60_000);

  it('the fieldkey command names its version (package.json) in the bundle', async () => {
    const file = join(h.dir, 'bundle-cli.json');
    const { stderr } = await run(process.execPath, ['bin/fieldkey.mjs', 'doctor', '--bundle', file], {
      cwd: REPO,
      env: { ...process.env, ...env() },
    }).catch((error: { code: number; stderr: string }) => {
      if (error.code !== 1) throw error; // 1: problems found is still a report
      return error;
    });
    expect(stderr).toContain(`support bundle written to ${file}`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SupportBundle;
    expect(parsed.versions.fieldkey).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  }, 60_000);
});
