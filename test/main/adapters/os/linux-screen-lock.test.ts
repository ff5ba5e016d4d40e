/**
 * The Linux screen-lock adapter against real buses, with the real `dbus-monitor` children:
 *   - session bus (run under scripts/with-keyring.sh; this file starts a private one of its own):
 *     `gdbus emit` sends the screen savers' ActiveChanged signals;
 *   - system bus: a second private bus daemon stands in for it (`DBUS_SYSTEM_BUS_ADDRESS`, which
 *     libdbus and so `dbus-monitor --system` honour), and a test connection that owns
 *     `org.freedesktop.login1` (test/helpers/dbus-name-owner.ts) sends logind's Lock, since
 *     `gdbus emit` cannot own a name and the match rule wants logind as the sender.
 * The object path, match rule and parser are also tested on their own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestBusConnection, type BusSignal } from '../../../helpers/dbus-name-owner';
import { startPrivateBus, usePrivateSessionBus, type PrivateSessionBus } from '../../../helpers/private-session-bus';
import {
  LockSignalParser,
  login1SessionPath,
  systemBusRules,
  watchLinuxScreenLock,
  type LinuxScreenLockWatch,
} from '../../../../src/main/adapters/os/linux-screen-lock';

const run = promisify(execFile);
/** The one line every watch here logs: the tests have no logind session. */
const NO_LOGIND_SESSION = expect.stringContaining('no XDG_SESSION_ID');
const watches: LinuxScreenLockWatch[] = [];

let bus: PrivateSessionBus;
// A bus of this file's own: another file's screen-saver signals must not count here.
beforeAll(async () => {
  bus = await usePrivateSessionBus();
});
afterAll(() => bus.stop());

afterEach(() => {
  while (watches.length) watches.pop()!.stop();
});

/** The session bus of this test run; no system bus and no logind session are used. */
function sessionOnlyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.XDG_SESSION_ID;
  return env;
}

function emitActiveChanged(iface: 'org.freedesktop.ScreenSaver' | 'org.gnome.ScreenSaver', active: boolean): Promise<unknown> {
  const path = `/${iface.replaceAll('.', '/')}`;
  return run('gdbus', ['emit', '--session', '--object-path', path, '--signal', `${iface}.ActiveChanged`, String(active)]);
}

async function watching(env: NodeJS.ProcessEnv = sessionOnlyEnv()) {
  const onLock = vi.fn();
  const log = vi.fn();
  const watch = watchLinuxScreenLock({ onLock, log, env });
  watches.push(watch);
  await watch.ready;
  return { onLock, log, watch };
}

describe('Linux screen lock on a real session bus', () => {
  it.each(['org.freedesktop.ScreenSaver', 'org.gnome.ScreenSaver'] as const)(
    'locks on %s ActiveChanged(true), not on ActiveChanged(false)',
    async (iface) => {
      const { onLock, log } = await watching();
      await emitActiveChanged(iface, false);
      await emitActiveChanged(iface, true);
      await vi.waitFor(() => expect(onLock).toHaveBeenCalled());
      // Signals arrive in the order they were sent: the false one was read before the true one.
      await emitActiveChanged(iface, false);
      await emitActiveChanged(iface, true);
      await vi.waitFor(() => expect(onLock).toHaveBeenCalledTimes(2));
      await emitActiveChanged(iface, false);
      // A round trip on the bus after the last false: it has been delivered and ignored.
      await run('gdbus', [
        'call',
        '--session',
        '--dest',
        'org.freedesktop.DBus',
        '--object-path',
        '/org/freedesktop/DBus',
        '--method',
        'org.freedesktop.DBus.GetId',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(onLock).toHaveBeenCalledTimes(2);
      expect(log.mock.calls).toEqual([[NO_LOGIND_SESSION]]);
    },
  );

  it('ignores ActiveChanged of other interfaces', async () => {
    const { onLock } = await watching();
    await run('gdbus', ['emit', '--session', '--object-path', '/org/example/Saver', '--signal', 'org.example.Saver.ActiveChanged', 'true']);
    await emitActiveChanged('org.gnome.ScreenSaver', true);
    await vi.waitFor(() => expect(onLock).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(onLock).toHaveBeenCalledTimes(1);
  });

  it('stops cleanly: no lock and no new log line after stop', async () => {
    const { onLock, log, watch } = await watching();
    watch.stop();
    watch.stop();
    await emitActiveChanged('org.freedesktop.ScreenSaver', true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(onLock).not.toHaveBeenCalled();
    expect(log.mock.calls).toEqual([[NO_LOGIND_SESSION]]);
  });

  it('logs one line and does nothing else when the session bus is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-nobus-'));
    try {
      const { onLock, log } = await watching(sessionOnlyEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}` }));
      await vi.waitFor(() => expect(log.mock.calls.filter(([line]) => String(line).includes('session bus'))).toHaveLength(1));
      expect(String(log.mock.calls.at(-1)![0])).toMatch(/not watching the session bus \(Failed to open connection/);
      expect(onLock).not.toHaveBeenCalled();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with a logind session but no system bus: logs that once, and still locks from the session bus', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-nosystembus-'));
    try {
      const env = { ...process.env, XDG_SESSION_ID: '2', DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}` };
      const { onLock, log } = await watching(env);
      expect(log.mock.calls).toEqual([
        [expect.stringMatching(/^Linux screen lock: not watching the system bus \(Failed to open connection to system bus/)],
      ]);
      await emitActiveChanged('org.freedesktop.ScreenSaver', true);
      await vi.waitFor(() => expect(onLock).toHaveBeenCalledTimes(1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs one line when dbus-monitor is not installed', async () => {
    const { onLock, log } = await watching(sessionOnlyEnv({ PATH: '/nonexistent' }));
    await vi.waitFor(() => expect(log).toHaveBeenCalledWith(expect.stringContaining('dbus-monitor is not installed')));
    expect(onLock).not.toHaveBeenCalled();
  });

  it('says so when there is no logind session to watch, and still watches the session bus', async () => {
    const { onLock, log } = await watching();
    expect(log).toHaveBeenCalledWith(NO_LOGIND_SESSION);
    await emitActiveChanged('org.freedesktop.ScreenSaver', true);
    await vi.waitFor(() => expect(onLock).toHaveBeenCalledTimes(1));
  });
});

describe('logind session locks on a real bus standing in for the system bus', () => {
  const SESSION_ID = 'c2';
  const SESSION_PATH = login1SessionPath(SESSION_ID);
  const lock = (path = SESSION_PATH, member = 'Lock'): BusSignal => ({ path, interface: 'org.freedesktop.login1.Session', member });

  let systemBus: PrivateSessionBus;
  /** Owns org.freedesktop.login1 on that bus, as logind does. */
  let logind: TestBusConnection;
  beforeAll(async () => {
    systemBus = await startPrivateBus();
    logind = await TestBusConnection.open(systemBus.address);
    await logind.requestName('org.freedesktop.login1');
  });
  afterAll(() => {
    logind?.close();
    systemBus?.stop();
  });

  /**
   * Watches with this session's id and the stand-in system bus. Each lock reports whether logind's
   * Lock for this session had been sent by then (see `expectOnlyTheSessionLock`).
   */
  async function watchingSystemBus() {
    const state = { sessionLockSent: false };
    const onLock = vi.fn(() => state.sessionLockSent);
    const log = vi.fn();
    const watch = watchLinuxScreenLock({
      onLock,
      log,
      env: { ...process.env, XDG_SESSION_ID: SESSION_ID, DBUS_SYSTEM_BUS_ADDRESS: systemBus.address },
    });
    watches.push(watch);
    await watch.ready;
    return { onLock, log, state };
  }

  /**
   * `send` emits signals that must not lock (each call returns once the bus has routed it); then
   * logind's Lock for this session follows. The bus delivers to the monitor in that order, so when
   * a lock is seen, everything before it has been read too: the one lock must be the last signal's.
   */
  async function expectOnlyTheSessionLock(send: () => Promise<void>): Promise<void> {
    const { onLock, log, state } = await watchingSystemBus();
    await send();
    state.sessionLockSent = true;
    await logind.emit(lock());
    await vi.waitFor(() => expect(onLock).toHaveBeenCalled());
    expect(onLock.mock.results.map((result) => result.value)).toEqual([true]);
    expect(log).not.toHaveBeenCalled();
  }

  it("locks on logind's Lock for this session", async () => {
    const { onLock, log } = await watchingSystemBus();
    await logind.emit(lock());
    await vi.waitFor(() => expect(onLock).toHaveBeenCalledTimes(1));
    expect(log).not.toHaveBeenCalled();
  });

  it('ignores the same Lock from a connection that does not own org.freedesktop.login1', async () => {
    await expectOnlyTheSessionLock(async () => {
      const other = await TestBusConnection.open(systemBus.address);
      try {
        await other.emit(lock());
      } finally {
        other.close();
      }
    });
  });

  it("ignores logind's Lock for another session", async () => {
    await expectOnlyTheSessionLock(() => logind.emit(lock(login1SessionPath('c3'))));
  });

  it("ignores logind's Unlock for this session", async () => {
    await expectOnlyTheSessionLock(() => logind.emit(lock(SESSION_PATH, 'Unlock')));
  });
});

describe('logind session locks: object path, match rule, parsing', () => {
  it.each([
    ['2', '/org/freedesktop/login1/session/_32'],
    ['c1', '/org/freedesktop/login1/session/c1'],
    ['12', '/org/freedesktop/login1/session/_312'],
    ['a-b', '/org/freedesktop/login1/session/a_2db'],
    ['', '/org/freedesktop/login1/session/_'],
  ])('session %j has the object path %s', (id, path) => {
    expect(login1SessionPath(id)).toBe(path);
  });

  it("matches only logind's Lock on this session's path", () => {
    expect(systemBusRules('/org/freedesktop/login1/session/_32')).toEqual([
      "type='signal',sender='org.freedesktop.login1',interface='org.freedesktop.login1.Session',member='Lock',path='/org/freedesktop/login1/session/_32'",
    ]);
  });

  const lockHeader = (path: string, member = 'Lock'): string =>
    `signal time=1796113258.509600 sender=:1.4 -> destination=(null destination) serial=812 path=${path}; interface=org.freedesktop.login1.Session; member=${member}`;

  it("locks on the caller's session Lock, not another session's, not Unlock", () => {
    const parser = new LockSignalParser('/org/freedesktop/login1/session/_32');
    expect(parser.feed(lockHeader('/org/freedesktop/login1/session/_32'))).toBe(true);
    expect(parser.feed(lockHeader('/org/freedesktop/login1/session/_33'))).toBe(false);
    expect(parser.feed(lockHeader('/org/freedesktop/login1/session/_32', 'Unlock'))).toBe(false);
    expect(new LockSignalParser(undefined).feed(lockHeader('/org/freedesktop/login1/session/_32'))).toBe(false);
  });

  it('reads ActiveChanged from its argument line, and nothing from a stray boolean line', () => {
    const parser = new LockSignalParser(undefined);
    const header =
      'signal time=1.0 sender=:1.1 -> destination=(null destination) serial=2 path=/ScreenSaver; interface=org.freedesktop.ScreenSaver; member=ActiveChanged';
    expect(parser.feed(header)).toBe(false);
    expect(parser.feed('   boolean true')).toBe(true);
    expect(parser.feed('   boolean true')).toBe(false);
    expect(parser.feed(header)).toBe(false);
    expect(parser.feed('   boolean false')).toBe(false);
  });
});
