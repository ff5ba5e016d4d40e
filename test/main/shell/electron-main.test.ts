/**
 * The Electron shell's start-up with Electron stubbed (test/main/shell/electron-stub.ts): refused
 * debugging switches, FIELDKEY_POLICY in a packaged app, and crash dumps. The app runtime is the
 * shell's direct collaborator and is replaced by a recorder; the CLI and the file system are real.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppRuntime, AppRuntimeOptions } from '../../../src/main/app/app-runtime';
import { writePolicyFile } from '../../helpers/test-policy';
import { electronStub, preventable } from './electron-stub';

vi.mock('electron', () => electronStub());

const started = vi.hoisted(() => ({ options: [] as AppRuntimeOptions[] }));
vi.mock('../../../src/main/app/app-runtime', () => ({
  startAppRuntime: async (options: AppRuntimeOptions): Promise<AppRuntime> => {
    started.options.push(options);
    return {
      dispatcher: { handle: async () => ({ ok: true, value: undefined }) } as unknown as AppRuntime['dispatcher'],
      getState: () => ({}) as ReturnType<AppRuntime['getState']>,
      subscribe: () => () => undefined,
      lock: () => undefined,
      wake: () => undefined,
      idleLockMinutes: () => undefined,
      close: async () => undefined,
    };
  },
}));

const electron = await import('electron');
const stub = electron as unknown as ReturnType<typeof electronStub>;
const { EXIT_REFUSED_SWITCH, runElectronMain } = await import('../../../src/main/shell/electron-main');
const electronApi = await import('../../../src/main/shell/electron-api');

const EXE = '/opt/FieldKey/fieldkey';
const savedArgv = process.argv;
const savedEnv = { ...process.env };
let dir: string;
let stderr: string[];
let stdout: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-shell-'));
  process.env.FIELDKEY_DATA_DIR = join(dir, 'data');
  process.env.FIELDKEY_LOG_DIR = join(dir, 'logs');
  delete process.env.NODE_OPTIONS;
  stderr = [];
  stdout = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
});

afterEach(() => {
  // Ends what a started shell runs (auto lock, IPC bridge), as quitting does.
  stub.app.emit('before-quit', preventable());
  vi.restoreAllMocks();
  vi.clearAllMocks();
  stub.app.removeAllListeners();
  stub.powerMonitor.removeAllListeners();
  stub.windows.length = 0;
  stub.app.isPackaged = false;
  started.options.length = 0;
  process.argv = savedArgv;
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  rmSync(dir, { recursive: true, force: true });
});

function launch(...args: string[]): Promise<void> {
  process.argv = [EXE, ...args];
  return runElectronMain();
}

describe('debugging switches', () => {
  it.each([
    ['--remote-debugging-port=9222'],
    ['--remote-debugging-pipe'],
    ['--inspect'],
    ['--inspect-brk=9229'],
    ['--inspect-port=0'],
    ['--js-flags=--expose-gc'],
  ])('the packaged app refuses %s before anything starts, with one log line and a non-zero exit', async (arg) => {
    stub.app.isPackaged = true;
    await launch('--no-sandbox', arg);
    expect(stub.app.exit).toHaveBeenLastCalledWith(EXIT_REFUSED_SWITCH);
    expect(stderr).toEqual([
      `[fieldkey] FieldKey refuses to start with ${arg.split('=')[0]} (command line): it would let another program debug the app. Start FieldKey without it.\n`,
    ]);
    expect(EXIT_REFUSED_SWITCH).not.toBe(0);
    expect(stub.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    expect(stub.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    expect(stub.app.whenReady).not.toHaveBeenCalled();
    expect(stub.windows).toEqual([]);
    expect(started.options).toEqual([]);
  });

  it('a development build keeps debugging switches (electron-vite dev --inspect)', async () => {
    stub.app.isPackaged = false;
    await launch('--inspect=9229', 'policy', 'check');
    expect(stub.app.exit).not.toHaveBeenCalledWith(EXIT_REFUSED_SWITCH);
    expect(stderr.join('')).not.toContain('refuses to start');
  });

  it('the packaged app refuses NODE_OPTIONS with --inspect, also for the command line', async () => {
    stub.app.isPackaged = true;
    process.env.NODE_OPTIONS = '--max-old-space-size=512 --inspect';
    await launch('doctor');
    expect(stub.app.exit).toHaveBeenCalledWith(EXIT_REFUSED_SWITCH);
    expect(stderr.join('')).toContain('--inspect (NODE_OPTIONS)');
    expect(stdout).toEqual([]);
  });
});

describe('FIELDKEY_POLICY', () => {
  it('is ignored by the packaged app and its command line, kept in development builds', async () => {
    const policyFile = join(dir, 'dev-policy.json');
    writePolicyFile(policyFile, { issuer: 'https://idp.example', clientId: 'fieldkey-dev' });
    process.env.FIELDKEY_POLICY = policyFile;

    await launch('policy', 'check');
    expect(stub.app.exit).toHaveBeenLastCalledWith(0);
    expect(stdout.join('')).toContain(`FIELDKEY_POLICY ${policyFile}`);

    stub.app.isPackaged = true;
    stdout.length = 0;
    await launch('policy', 'check');
    expect(stdout.join('') + stderr.join('')).not.toContain(policyFile);

    await launch();
    expect(started.options).toHaveLength(1);
    expect(started.options[0]!.env.FIELDKEY_POLICY).toBeUndefined();
    expect(started.options[0]!.env.FIELDKEY_DATA_DIR).toBe(join(dir, 'data'));
    expect(process.env.FIELDKEY_POLICY).toBe(policyFile);
  });
});

describe('crash reports', () => {
  it('keeps crash dumps in a private folder inside the data folder and never starts the crash reporter', async () => {
    const saved = process.umask(0o022);
    try {
      stub.app.isPackaged = true;
      await launch();
    } finally {
      process.umask(saved);
    }
    const crashDumps = join(dir, 'data', 'crash-dumps');
    expect(stub.app.setPath).toHaveBeenCalledWith('crashDumps', crashDumps);
    // Set before the app is ready, as Electron requires.
    expect(stub.app.setPath.mock.invocationCallOrder[0]).toBeLessThan(stub.app.whenReady.mock.invocationCallOrder[0]!);
    expect(statSync(crashDumps).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(stub.crashReporter.start).not.toHaveBeenCalled();
    expect(stub.windows).toHaveLength(1);
    // The shell's one door to Electron does not offer the crash reporter at all.
    expect('crashReporter' in electronApi).toBe(false);
  });
});

describe("the app's fetch", () => {
  it("is Electron's net.fetch (the system proxy and trust store), not Node's fetch", async () => {
    await launch();
    expect(started.options).toHaveLength(1);
    stub.net.fetch.mockResolvedValueOnce(new Response('{}', { status: 200 }));
    const response = await started.options[0]!.fetch('https://idp.example/.well-known/openid-configuration', { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(stub.net.fetch).toHaveBeenCalledWith(
      'https://idp.example/.well-known/openid-configuration',
      expect.objectContaining({ bypassCustomProtocolHandlers: true, redirect: 'error', credentials: 'omit' }),
    );
  });
});

describe('the log file', () => {
  it("gets the start-up line and the shell's log lines; a refused launch is an ERROR line", async () => {
    await launch();
    const started = readFileSync(join(dir, 'logs', 'fieldkey.log'), 'utf8');
    expect(started).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z INFO FieldKey 0\.1\.0 starting \(Electron [^,]+, Node [\d.]+, linux /m);

    stub.app.isPackaged = true;
    await launch('--inspect');
    const lines = readFileSync(join(dir, 'logs', 'fieldkey.log'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.at(-1)).toMatch(/ ERROR FieldKey refuses to start with --inspect \(command line\)/);
    expect(statSync(join(dir, 'logs', 'fieldkey.log')).mode & 0o777).toBe(0o600);
  });
});
