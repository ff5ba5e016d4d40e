import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { usePrivateSessionBus } from '../../helpers/private-session-bus';
import type { Session, WebContents } from 'electron';
import { FieldKeyError } from '../../../src/shared/errors';
import { electronStub, fakeWebContents, preventable } from './electron-stub';

vi.mock('electron', () => electronStub());

const electron = await import('electron');
const stub = electron as unknown as ReturnType<typeof electronStub>;
const hardening = await import('../../../src/main/shell/hardening');

afterEach(() => {
  vi.useRealTimers();
  vi.clearAllMocks();
  stub.app.removeAllListeners();
  stub.powerMonitor.removeAllListeners();
});

describe('web contents hardening', () => {
  it.each(['will-navigate', 'will-redirect', 'will-attach-webview'])('prevents %s', (name) => {
    const contents = fakeWebContents();
    hardening.hardenWebContents(contents as unknown as WebContents);
    const event = preventable();
    contents.emit(name, event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it.each(['https://evil.example/', 'app://fieldkey/index.html', 'file:///etc/passwd', 'javascript:alert(1)'])(
    'denies window.open(%s)',
    (url) => {
      const contents = fakeWebContents();
      hardening.hardenWebContents(contents as unknown as WebContents);
      expect(contents.openHandler?.({ url })).toEqual({ action: 'deny' });
    },
  );

  it('hardens every web contents the app creates', () => {
    hardening.hardenAllWebContents();
    const contents = fakeWebContents();
    stub.app.emit('web-contents-created', {}, contents);
    const event = preventable();
    contents.emit('will-navigate', event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(contents.openHandler?.({ url: 'https://x.example/' })).toEqual({ action: 'deny' });
  });
});

describe('permissions', () => {
  it('denies every permission request and check, devices and screen capture', () => {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: never) => (handlers.request = h),
      setPermissionCheckHandler: (h: never) => (handlers.check = h),
      setDevicePermissionHandler: (h: never) => (handlers.device = h),
      setDisplayMediaRequestHandler: (h: never) => (handlers.display = h),
    };
    hardening.denyPermissions(session as unknown as Session);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'serial', 'openExternal']) {
      const callback = vi.fn();
      (handlers.request as (c: unknown, p: string, cb: (ok: boolean) => void) => void)({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect((handlers.check as (c: unknown, p: string) => boolean)({}, permission)).toBe(false);
    }
    expect((handlers.device as () => boolean)()).toBe(false);
    const display = vi.fn();
    (handlers.display as (r: unknown, cb: (s: unknown) => void) => void)({}, display);
    expect(display).toHaveBeenCalledWith({});
  });
});

describe('single instance', () => {
  it('quits the second instance and focuses the first', () => {
    const focus = vi.fn();
    stub.app.requestSingleInstanceLock.mockReturnValueOnce(true);
    expect(hardening.claimSingleInstance(focus)).toBe(true);
    stub.app.emit('second-instance');
    expect(focus).toHaveBeenCalledTimes(1);

    stub.app.requestSingleInstanceLock.mockReturnValueOnce(false);
    expect(hardening.claimSingleInstance(vi.fn())).toBe(false);
  });
});

describe('opening the sign-in page', () => {
  const endpoint = 'https://idp.example/oauth2/authorize';

  it('opens the authorization request in the system browser', async () => {
    const url = `${endpoint}?client_id=fieldkey&code_challenge=abc&state=xyz`;
    await hardening.openSignInPageExternally({ authorizationUrl: url, authorizationEndpoint: endpoint });
    expect(stub.shell.openExternal).toHaveBeenCalledWith(url, { activate: true });
  });

  it.each([
    ['another host', 'https://evil.example/oauth2/authorize?x=1'],
    ['another path', 'https://idp.example/logout?x=1'],
    ['http downgrade', 'http://idp.example/oauth2/authorize?x=1'],
    ['file URL', 'file:///etc/passwd'],
    ['javascript URL', 'javascript:alert(1)'],
    ['custom scheme', 'ms-settings:network'],
    ['credentials', 'https://user:pass@idp.example/oauth2/authorize'],
  ])('refuses %s without calling openExternal', async (_name, url) => {
    const opening = hardening.openSignInPageExternally({ authorizationUrl: url, authorizationEndpoint: endpoint });
    await expect(opening).rejects.toBeInstanceOf(FieldKeyError);
    await expect(opening).rejects.toMatchObject({ code: 'sign_in_url_refused' });
    expect(stub.shell.openExternal).not.toHaveBeenCalled();
  });
});

describe('auto lock', () => {
  it('locks on OS suspend and screen lock, decides again on resume and screen unlock, and stops listening when stopped', () => {
    const lock = vi.fn();
    const wake = vi.fn();
    const stop = hardening.installAutoLock({ lock, idleLockMinutes: () => 15, wake, log: vi.fn(), platform: 'darwin' });
    stub.powerMonitor.emit('suspend');
    stub.powerMonitor.emit('lock-screen');
    stub.powerMonitor.emit('resume');
    stub.powerMonitor.emit('unlock-screen');
    expect(lock.mock.calls).toEqual([['suspend'], ['lock-screen']]);
    expect(wake.mock.calls).toEqual([['resume'], ['unlock-screen']]);
    stop();
    stub.powerMonitor.emit('suspend');
    stub.powerMonitor.emit('resume');
    expect(lock).toHaveBeenCalledTimes(2);
    expect(wake).toHaveBeenCalledTimes(2);
  });

  it("locks once the system is idle for the policy's minutes", () => {
    vi.useFakeTimers();
    const lock = vi.fn();
    let minutes: number | undefined = 15;
    const stop = hardening.installAutoLock({ lock, idleLockMinutes: () => minutes, wake: vi.fn(), log: vi.fn(), platform: 'win32' });
    stub.powerMonitor.getSystemIdleTime.mockReturnValue(14 * 60 + 59);
    vi.advanceTimersByTime(hardening.IDLE_CHECK_INTERVAL_MS);
    expect(lock).not.toHaveBeenCalled();
    stub.powerMonitor.getSystemIdleTime.mockReturnValue(15 * 60);
    vi.advanceTimersByTime(hardening.IDLE_CHECK_INTERVAL_MS);
    expect(lock).toHaveBeenCalledWith('idle');
    lock.mockClear();
    minutes = undefined; // misconfigured: nothing to lock
    vi.advanceTimersByTime(hardening.IDLE_CHECK_INTERVAL_MS);
    expect(lock).not.toHaveBeenCalled();
    stop();
  });

  it("on Linux locks with the lock-screen reason when the session's screen saver activates (real session bus)", async () => {
    const bus = await usePrivateSessionBus(); // this file's own: its signals reach no other test file
    onTestFinished(() => bus.stop());
    const lock = vi.fn();
    const log = vi.fn();
    const stop = hardening.installAutoLock({ lock, idleLockMinutes: () => 15, wake: vi.fn(), log, platform: 'linux' });
    const emit = (): Promise<unknown> =>
      promisify(execFile)('gdbus', [
        'emit',
        '--session',
        '--object-path',
        '/org/gnome/ScreenSaver',
        '--signal',
        'org.gnome.ScreenSaver.ActiveChanged',
        'true',
      ]);
    try {
      // The watcher starts in the background: emit until it has heard one.
      await vi.waitFor(async () => {
        await emit();
        expect(lock).toHaveBeenCalledWith('lock-screen');
      });
      expect(new Set(lock.mock.calls.map(([reason]) => reason))).toEqual(new Set(['lock-screen']));
    } finally {
      stop();
    }
    const heard = lock.mock.calls.length;
    await emit();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lock).toHaveBeenCalledTimes(heard);
  });

  it.each([
    [0, 15, false],
    [899, 15, false],
    [900, 15, true],
    [10_000, 0, false],
    [10_000, undefined, false],
  ] as [number, number | undefined, boolean][])('idle %is with %s minutes -> %s', (seconds, minutes, expected) => {
    expect(hardening.idleLimitReached(seconds, minutes)).toBe(expected);
  });
});
