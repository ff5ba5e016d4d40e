/**
 * scripts/ensure-electron.mjs, which `npm start` runs before electron-vite's preview, as a real
 * process beside a stand-in electron package (its install.js is the script's direct collaborator):
 * a missing binary is installed through it; an installer that fails as on a closed network gives one
 * paragraph saying what to run instead, exit 1, and none of the installer's stack trace.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/tsx-process';

let dir: string;
let electronDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-ensure-electron-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(REPO, 'scripts', 'ensure-electron.mjs'), join(dir, 'scripts', 'ensure-electron.mjs'));
  electronDir = join(dir, 'node_modules', 'electron');
  mkdirSync(electronDir, { recursive: true });
  writeFileSync(join(electronDir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1', main: 'index.js' }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function installer(body: string): void {
  writeFileSync(join(electronDir, 'install.js'), body);
}

function ensure(): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  const run = spawnSync(process.execPath, [join(dir, 'scripts', 'ensure-electron.mjs')], { cwd: dir, encoding: 'utf8', env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('ensure-electron', () => {
  it('a failed download is one paragraph naming the reason and the web host, exit 1, no stack trace', () => {
    installer("const e = new TypeError('fetch failed'); console.error(e); process.exit(1);");
    const run = ensure();
    expect(run.status).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('the download failed (TypeError: fetch failed)');
    expect(run.stderr).toContain('npm run build && npm run --silent web');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing binary is installed through the package installer, then exit 0', () => {
    installer(
      "const fs = require('node:fs'); const path = require('node:path');" +
        "fs.mkdirSync(path.join(__dirname, 'dist')); fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '');" +
        "fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');",
    );
    const run = ensure();
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(readFileSync(join(electronDir, 'path.txt'), 'utf8')).toBe('electron');
  });

  it('a binary already there is left alone: the installer does not run', () => {
    mkdirSync(join(electronDir, 'dist'));
    writeFileSync(join(electronDir, 'dist', 'electron'), '');
    writeFileSync(join(electronDir, 'path.txt'), 'electron');
    installer('process.exit(7);');
    const run = ensure();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
  });

  it('without the electron package it says to install it, exit 1', () => {
    rmSync(join(dir, 'node_modules'), { recursive: true });
    const run = ensure();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('which is not installed (run `npm install`)');
  });
});
