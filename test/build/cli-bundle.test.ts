/**
 * The `fieldkey` command built for plain Node (scripts/build-cli.ts, bin/fieldkey.mjs): the bundle
 * imports only Node's built-ins and the production dependencies, and runs as a real process from an
 * install that holds only those (no tsx, esbuild, vitest or any other development dependency);
 * without the bundle the bin says how to build it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, productionDependencies } from '../../scripts/build-cli';
import { openDatabase } from '../../src/main/adapters/sqlite/database';
import { schemaVersion } from '../../src/main/core/records/schema';
import { REPO } from '../helpers/tsx-process';

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
}

let dir: string;
let externals: string[];

/** The production install's packages (the lock file's non-development entries), linked into `dir`. */
function linkProductionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const linked: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Top-level packages only: nested ones come along inside their parent's folder.
    if (!path.startsWith('node_modules/') || path.slice('node_modules/'.length).includes('node_modules/')) continue;
    if (entry.dev || entry.devOptional) continue;
    const target = join(REPO, path);
    const link = join(dir, path);
    mkdirSync(dirname(link), { recursive: true });
    try {
      symlinkSync(target, link, 'dir');
      linked.push(path.slice('node_modules/'.length));
    } catch (error) {
      // An optional package for another platform is in the lock file but not installed here.
      if (!entry.optional) throw error;
    }
  }
  return linked;
}

function fieldkey(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(dir, 'bin', 'fieldkey.mjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-cli-bundle-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(REPO, 'bin', 'fieldkey.mjs'), join(dir, 'bin', 'fieldkey.mjs'));
  copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the fieldkey bin without a built CLI', () => {
  it('says how to build it, exit 2, no stack trace', () => {
    const run = fieldkey(['--version']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^fieldkey: the command line is not built \(.*out\/cli\/fieldkey\.mjs is missing\)\. Build it with `npm run build:cli`/,
    );
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('the fieldkey bin from the built CLI, with production dependencies only', () => {
  beforeAll(async () => {
    externals = await buildCli(join(dir, 'out', 'cli', 'fieldkey.mjs'));
    const linked = linkProductionPackages();
    expect(linked).toContain('better-sqlite3');
    expect(linked).not.toContain('tsx');
    expect(linked).not.toContain('esbuild');
  });

  it('imports nothing but Node built-ins and production dependencies', () => {
    const production = productionDependencies();
    expect(externals.length).toBeGreaterThan(0);
    for (const path of externals)
      expect(
        production.some((name) => path === name || path.startsWith(`${name}/`)),
        path,
      ).toBe(true);
  });

  it('--version', () => {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect(fieldkey(['--version'])).toEqual({ status: 0, stdout: `fieldkey ${version}\n`, stderr: '' });
  });

  it('policy check FILE --json', () => {
    const file = join(REPO, 'test', 'fixtures', 'policy', 'valid-full.json');
    const run = fieldkey(['policy', 'check', file, '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ source: { kind: 'file', location: file }, verdict: 'valid', problems: [] });
  });

  it('audit verify --json on a fresh data directory: the database_missing error object, exit 2', () => {
    const data = join(dir, 'data');
    const run = fieldkey(['audit', 'verify', '--json'], { FIELDKEY_DATA_DIR: data });
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'database_missing', message: expect.stringContaining(join(data, 'fieldkey.db')) },
    });
  });

  it('doctor opens a real database through the native SQLite module', () => {
    const data = join(dir, 'doctor-data');
    mkdirSync(data);
    openDatabase(join(data, 'fieldkey.db')).close();
    const run = fieldkey(['doctor', '--json'], {
      FIELDKEY_DATA_DIR: data,
      FIELDKEY_POLICY: join(REPO, 'test', 'fixtures', 'policy', 'valid-full.json'),
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}`,
    });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { policy: { valid: boolean }; database: Record<string, unknown> };
    expect(report.policy.valid).toBe(true);
    expect(report.database).toMatchObject({ exists: true, opened: true, schemaVersion, integrity: 'ok' });
  });
});
