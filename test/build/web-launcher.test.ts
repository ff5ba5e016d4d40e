/**
 * scripts/web.mjs, what `npm run web` runs, as a real process: with no Secret Service on the session
 * bus it runs the development web host inside scripts/with-keyring.sh (a private keyring and data
 * directory, both gone when it stops), the URL on the first line; where the programs for that are
 * missing it says what to run, exit 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/tsx-process';
import { writePolicyFile } from '../helpers/test-policy';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-web-launcher-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>FieldKey</title>');
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  writePolicyFile(join(dir, 'policy.json'), { issuer: 'http://127.0.0.1:9', clientId: 'fieldkey-test' });
  // No session bus and no Secret Service, whatever the machine running the tests has.
  env = { ...process.env, FIELDKEY_POLICY: join(dir, 'policy.json'), XDG_RUNTIME_DIR: join(dir, 'run') };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'FIELDKEY_IN_KEYRING_SESSION', 'FIELDKEY_KEYRING_HOME', 'FIELDKEY_DATA_DIR'])
    delete env[name];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run web', () => {
  it('without a Secret Service runs the host in a private keyring: the URL first, a throwaway data directory', async () => {
    const child = spawn(process.execPath, ['scripts/web.mjs', '--port', '0', '--renderer-dir', join(dir, 'renderer')], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const reader = createInterface({ input: child.stdout });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no output: ${errors}`)), 30_000);
        reader.on('line', (line) => {
          lines.push(line);
          if (line.includes('keychain: ')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`exited with ${code}: ${errors}`)));
      });
      expect(lines[0]).toMatch(/^FieldKey development web host .*: open http:\/\/127\.0\.0\.1:\d+\/\?k=\S+$/);
      const url = lines[0]!.split(' ').at(-1)!;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const dataLine = lines.find((line) => line.startsWith('  data: '))!;
      const dataDir = dataLine.split(/\s+/)[2]!;
      expect(lines).toContain('  keychain: a private keyring for this run (scripts/with-keyring.sh), discarded when the host stops');
      expect(existsSync(dataDir)).toBe(true);
      expect(errors).not.toMatch(/Failed to set fd limit/);
      child.kill('SIGTERM');
      // The wrapper's bus runner ends on the signal too: the status a shell gives a SIGTERM.
      expect(await exited).toBe(143);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      // The launcher passes the signal on to the whole wrapper; a SIGKILL would orphan it.
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 40_000);

  it('without dbus-run-session or gnome-keyring-daemon says what to run, exit 2', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const run = spawnSync(process.execPath, ['scripts/web.mjs'], { cwd: REPO, env: { ...env, PATH: bin }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no Secret Service (the keychain) is reachable');
    expect(run.stderr).toContain('bash scripts/setup-system.sh && npm run --silent web');
  });
});
