/**
 * The Electron main process: the thin shell around the plain-TypeScript app.
 * Either runs the command line without a window (`FieldKey policy check ...`), or opens the one
 * hardened window on `app://fieldkey/` and bridges its IPC to the app runtime.
 */
import { app, BrowserWindow, session } from './electron-api';
import { fileURLToPath } from 'node:url';
import { main as runCli } from '../cli/index';
import { systemClock } from '../core/clock';
import { dataDir } from '../core/environment';
import { openLogFile, type LogFile, type LogLevel } from '../adapters/logging/log-file';
import { createAuthServiceWith } from '../core/auth/auth-service';
import { startAppRuntime } from '../app/app-runtime';
import { startDemoIdpForDemoPolicy } from '../app/demo-idp-launcher';
import { APP_ORIGIN } from '../app/ipc-sender';
import { cliArguments } from '../app/launch-mode';
import { APP_URL, registerAppScheme, serveAppProtocol } from './app-protocol';
import { chromiumFetch } from './chromium-fetch';
import {
  claimSingleInstance,
  denyPermissions,
  hardenAllWebContents,
  installAutoLock,
  keepCrashDumpsPrivate,
  openSignInPageExternally,
} from './hardening';
import { bridgeIpc } from './ipc-bridge';
import { launchEnvironment, refusedLaunchMessage, refusedLaunchSwitch } from './launch-switches';
import { mainWindowOptions } from './window-options';

/** Built layout (electron-vite): out/main/index.js, out/preload/index.cjs, out/renderer/. */
const PRELOAD_PATH = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));

/** Exit code of a launch refused for a debugging switch. */
export const EXIT_REFUSED_SWITCH = 1;

/** The app's log file (log-file.ts); opened when the shell starts. */
let logFile: LogFile | undefined;

function log(line: string, level: LogLevel = 'info'): void {
  process.stderr.write(`[fieldkey] ${line}\n`);
  logFile?.write(level, line);
}

export async function runElectronMain(): Promise<void> {
  const platform = process.platform;
  logFile = openLogFile(process.env, platform);
  // Before anything else, the command line too: no debugger may attach to a packaged FieldKey.
  // Development builds keep them (electron-vite dev --inspect).
  const refused = app.isPackaged ? refusedLaunchSwitch(process.argv, process.env, platform) : undefined;
  if (refused) {
    log(refusedLaunchMessage(refused), 'error');
    app.exit(EXIT_REFUSED_SWITCH);
    return;
  }
  const env = launchEnvironment(process.env, app.isPackaged);
  // One policy rule for the window and the command line: a packaged app never falls back to the
  // demo policy; with nothing deployed it is misconfigured (and `policy check` says so).
  const policyOptions = { allowDemo: !app.isPackaged };
  const cli = cliArguments(process.argv, process.defaultApp === true);
  if (cli) {
    const code = await runCli(cli, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env,
      policyOptions,
      appVersion: app.getVersion(),
    });
    app.exit(code);
    return;
  }

  logFile.info(
    `FieldKey ${app.getVersion()} starting (Electron ${process.versions.electron ?? '?'}, Node ${process.versions.node}, ${platform} ${process.arch})`,
  );
  keepCrashDumpsPrivate(dataDir(env, platform), log);
  registerAppScheme();
  app.enableSandbox();
  const opened: { window?: BrowserWindow } = {};
  const focus = (): void => {
    const window = opened.window;
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  };
  if (!claimSingleInstance(focus)) {
    app.quit();
    return;
  }
  hardenAllWebContents();
  app.on('window-all-closed', () => app.quit());

  await app.whenReady();
  denyPermissions(session.defaultSession);
  serveAppProtocol(session.defaultSession, RENDERER_DIR);

  const demoIdp = app.isPackaged ? undefined : await startDemoIdpForDemoPolicy({ env, platform, log });
  const runtime = await startAppRuntime({
    env,
    platform,
    clock: systemClock,
    // Chromium's network stack: the system proxy (PAC, WPAD), proxy authentication and the OS trust store.
    fetch: chromiumFetch(),
    log,
    createAuthService: (deps) => createAuthServiceWith(deps, policyOptions),
    openSignInPage: openSignInPageExternally,
    allowedOrigins: [APP_ORIGIN],
  });

  const win = new BrowserWindow(mainWindowOptions({ preloadPath: PRELOAD_PATH, production: app.isPackaged }));
  opened.window = win;
  const unbridge = bridgeIpc(runtime, win);
  const stopAutoLock = installAutoLock({
    lock: (reason) => runtime.lock(reason),
    idleLockMinutes: () => runtime.idleLockMinutes(),
    wake: (reason) => runtime.wake(reason),
    log,
    platform,
  });
  win.once('ready-to-show', () => win.show());

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    stopAutoLock();
    unbridge();
    void Promise.allSettled([runtime.close(), demoIdp?.stop()]).finally(() => app.quit());
  });

  await win.loadURL(APP_URL);
}
