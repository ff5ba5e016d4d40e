/**
 * Electron hardening (DESIGN.md section 6): no navigation, no new windows, no web views, no
 * permissions, one instance, the system browser only for the sign-in URL, and locking on OS suspend,
 * OS screen lock and the policy's idle minutes. Electron reports the screen lock on macOS and
 * Windows only; on Linux the session's D-Bus signals (linux-screen-lock.ts) take its place.
 */
import { app, powerMonitor, shell, type Session, type WebContents } from './electron-api';
import { FieldKeyError } from '../../shared/errors';
import type { OpenSignInPage } from '../app/app-handlers';
import type { LockReason } from '../app/auth-service-port';
import { watchLinuxScreenLock } from './linux-screen-lock';
import { isSignInUrl } from './sign-in-url';

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

/** Opens the sign-in page in the system browser, and nothing else. */
export const openSignInPageExternally: OpenSignInPage = async ({ authorizationUrl, authorizationEndpoint }) => {
  if (!isSignInUrl(authorizationUrl, authorizationEndpoint)) {
    throw new FieldKeyError('sign_in_url_refused', "FieldKey refused to open a sign-in address that is not the identity provider's sign-in page.");
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
  /** The main process's log (a Linux session without a bus is reported there). */
  log: (line: string) => void;
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
}

/** Locks on OS suspend, OS screen lock, and system idle past the policy's minutes. Returns a stop function. */
export function installAutoLock({ lock, idleLockMinutes, log, platform = process.platform }: AutoLockOptions): () => void {
  const onSuspend = (): void => lock('suspend');
  const onLockScreen = (): void => lock('lock-screen');
  powerMonitor.on('suspend', onSuspend);
  powerMonitor.on('lock-screen', onLockScreen);
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
  };
}
