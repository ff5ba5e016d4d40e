/**
 * Electron hardening: no navigation, no new windows, no web views, no
 * permissions, one instance, the system browser only for the sign-in URL, and locking on OS suspend,
 * OS screen lock and the policy's idle minutes, and no crash reporter. Electron reports the screen
 * lock on macOS and Windows only; on Linux the session's D-Bus signals (linux-screen-lock.ts) take
 * its place.
 */
import { app, powerMonitor, shell, type Session, type WebContents } from './electron-api';
import { join } from 'node:path';
import { FieldKeyError, isFieldKeyError } from '../../shared/errors';
import type { OpenSignInPage } from '../app/app-handlers';
import type { LockReason, WakeReason } from '../core/auth/auth-service-port';
import { ensurePrivateDirectory } from '../adapters/os/private-files';
import { watchLinuxScreenLock } from '../adapters/os/linux-screen-lock';
import { isSignInUrl } from '../app/sign-in-url';

/** Every web contents the app creates: nothing navigates away, opens windows or attaches web views. */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Applies `hardenWebContents` to every web contents as it is created. Call before the window opens. */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
}

/** Denies every permission request and check (camera, notifications, geolocation, HID, serial, ...). */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
}

/**
 * Takes the single-instance lock. False: another FieldKey runs (it is told, and focuses its window);
 * this one must quit. `focus` runs in the first instance when a second one starts.
 */
export function claimSingleInstance(focus: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => focus());
  return true;
}

/** The folder inside the data folder that Chromium is told to keep crash dumps in. */
export const CRASH_DUMPS_FOLDER = 'crash-dumps';

/**
 * No crash reports leave the laptop: FieldKey never calls `crashReporter.start` (the shell's
 * Electron module does not even export it), so Crashpad neither collects nor uploads. Should
 * Chromium write a dump anyway, it goes to a 0700 folder inside the private data folder instead of
 * the default under the user-data folder. Call before the app is ready. A folder that cannot be
 * made private is logged and left alone: with no crash reporter there is still nothing to upload.
 */
export function keepCrashDumpsPrivate(dataDirectory: string, log: (line: string) => void): void {
  const dir = join(dataDirectory, CRASH_DUMPS_FOLDER);
  try {
    ensurePrivateDirectory(dataDirectory);
    ensurePrivateDirectory(dir);
  } catch (error) {
    log(
      `crash dumps folder ${dir} could not be made private (${isFieldKeyError(error) ? error.code : ((error as NodeJS.ErrnoException).code ?? 'error')})`,
    );
    return;
  }
  app.setPath('crashDumps', dir);
}

/** Opens the sign-in page in the system browser, and nothing else. */
export const openSignInPageExternally: OpenSignInPage = async ({ authorizationUrl, authorizationEndpoint }) => {
  if (!isSignInUrl(authorizationUrl, authorizationEndpoint)) {
    throw new FieldKeyError(
      'sign_in_url_refused',
      "FieldKey refused to open a sign-in address that is not the identity provider's sign-in page.",
    );
  }
  await shell.openExternal(authorizationUrl, { activate: true });
};

/** How often the idle time is sampled. */
export const IDLE_CHECK_INTERVAL_MS = 15_000;

/** True once the system has been idle for the policy's minutes (0 or undefined: never). */
export function idleLimitReached(idleSeconds: number, idleLockMinutes: number | undefined): boolean {
  return idleLockMinutes !== undefined && idleLockMinutes > 0 && idleSeconds >= idleLockMinutes * 60;
}

export interface AutoLockOptions {
  lock: (reason: LockReason) => void;
  idleLockMinutes: () => number | undefined;
  wake: (reason: WakeReason) => void;
  /** The main process's log (a Linux session without a bus is reported there). */
  log: (line: string) => void;
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
}

/**
 * Locks on OS suspend, OS screen lock (on Linux, the session's lock signals over D-Bus too), and
 * system idle past the policy's minutes; derives the state again at once on resume and screen
 * unlock (`wake`). Returns a stop function.
 */
export function installAutoLock({ lock, idleLockMinutes, wake, log, platform = process.platform }: AutoLockOptions): () => void {
  const onSuspend = (): void => lock('suspend');
  const onLockScreen = (): void => lock('lock-screen');
  const onResume = (): void => wake('resume');
  const onUnlockScreen = (): void => wake('unlock-screen');
  powerMonitor.on('suspend', onSuspend);
  powerMonitor.on('lock-screen', onLockScreen);
  powerMonitor.on('resume', onResume);
  powerMonitor.on('unlock-screen', onUnlockScreen);
  const linuxScreenLock = platform === 'linux' ? watchLinuxScreenLock({ onLock: onLockScreen, log }) : undefined;
  const timer = setInterval(() => {
    if (idleLimitReached(powerMonitor.getSystemIdleTime(), idleLockMinutes())) lock('idle');
  }, IDLE_CHECK_INTERVAL_MS);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    linuxScreenLock?.stop();
    powerMonitor.off('suspend', onSuspend);
    powerMonitor.off('lock-screen', onLockScreen);
    powerMonitor.off('resume', onResume);
    powerMonitor.off('unlock-screen', onUnlockScreen);
  };
}
