/**
 * The development web host (`npm run web`, webhost/index.ts) as a real process writes the
 * log file in FIELDKEY_LOG_DIR: its start-up line and the app's log lines, never the page URL's
 * per-run secret. Keychain access needs scripts/with-keyring.sh.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writePolicyFile } from '../helpers/test-policy';
import { killTsxChildren, runTsx, until } from '../helpers/tsx-process';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-webhost-log-'));
});

afterEach(() => {
  killTsxChildren();
  rmSync(dir, { recursive: true, force: true });
});

it("logs its start and the app's lines to the log file, without the URL's secret", async () => {
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!DOCTYPE html><title>FieldKey</title>');
  writePolicyFile(join(dir, 'policy.json'), { issuer: 'https://auth.acme.test', clientId: 'fieldkey-desktop' });
  const run = runTsx('webhost/index.ts', ['--port', '0', '--renderer-dir', join(dir, 'renderer')], {
    ...process.env,
    FIELDKEY_POLICY: join(dir, 'policy.json'),
    FIELDKEY_DATA_DIR: join(dir, 'data'),
    FIELDKEY_LOG_DIR: join(dir, 'logs'),
    FIELDKEY_KEYCHAIN_SERVICE: `FieldKey-test-weblog-${process.pid}`,
  });
  const url = await until(() => /open (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(run.stdout())?.[1], 30_000);
  await until(() => (run.stdout().includes('log: ') ? true : undefined));
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);

  const log = readFileSync(join(dir, 'logs', 'fieldkey.log'), 'utf8');
  expect(log).toMatch(/^\S+Z INFO FieldKey development web host starting \(Node [\d.]+, linux /);
  expect(log).toMatch(/ INFO policy: issuer https:\/\/auth\.acme\.test \(env\)\n/);
  expect(log).toMatch(/ INFO audit retention \(365 days, .+ events\): pruned 0 event\(s\)\n/);
  expect(run.stdout()).toContain(`log: ${join(dir, 'logs', 'fieldkey.log')}`);
  const secret = new URL(url).searchParams.values().next().value ?? new URL(url).hash.slice(1);
  expect(secret.length).toBeGreaterThan(10);
  expect(log).not.toContain(secret);
}, 60_000);
