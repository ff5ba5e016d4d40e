/**
 * The Linux session's screen lock, for the shell's auto lock. Electron reports `lock-screen` only
 * on macOS and Windows; on Linux the desktop announces it over D-Bus instead:
 *   - session bus: `ActiveChanged(true)` of `org.freedesktop.ScreenSaver` (KDE, Xfce, Cinnamon,
 *     MATE and others) or `org.gnome.ScreenSaver` (GNOME);
 *   - system bus: `Lock` of the caller's `org.freedesktop.login1.Session` (`loginctl lock-session`,
 *     and desktops that lock through logind).
 *
 * Mechanism: one `dbus-monitor` child per bus, whose text output is parsed line by line. It needs no
 * native module and no JavaScript D-Bus client (the pure-JS ones are barely maintained and would
 * ship inside the packaged app); `dbus-monitor` comes with the D-Bus tools of every desktop
 * distribution and talks to the bus with the same libdbus as the desktop. Match rules are passed
 * to it, so only the lock signals arrive. A signal any program of the user emits on the session bus
 * can lock FieldKey, never unlock it: locking is the safe direction, so the sender is not checked
 * there. On the system bus only logind's signals for this session's object path match.
 *
 * A missing bus or a missing `dbus-monitor` is logged once and changes nothing; `stop()` ends the
 * children. No Electron import: the module runs and is tested under plain Node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Env } from '../../core/environment';

export const SCREEN_SAVER_INTERFACES = ['org.freedesktop.ScreenSaver', 'org.gnome.ScreenSaver'] as const;
export const LOGIN1_SESSION_INTERFACE = 'org.freedesktop.login1.Session';
const LOGIN1_SESSION_PATH_PREFIX = '/org/freedesktop/login1/session/';

export interface LinuxScreenLockOptions {
  /** Called once per lock signal. */
  onLock: () => void;
  /** One line per problem; never fails. */
  log: (line: string) => void;
  /** Environment of the monitors (bus addresses, PATH) and `XDG_SESSION_ID`. Default: process.env. */
  env?: Env;
}

export interface LinuxScreenLockWatch {
  /** Resolves when every monitor listens or has given up; lock signals sent after it are seen. */
  readonly ready: Promise<void>;
  /** Ends the monitors. Idempotent. */
  stop(): void;
}

/** The systemd object-path label of a session id: letters stay, other bytes (and a leading digit) become `_xx`. */
export function login1SessionPath(sessionId: string): string {
  let label = '';
  const bytes = Buffer.from(sessionId, 'utf8');
  bytes.forEach((byte, index) => {
    const letter = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    const digit = byte >= 0x30 && byte <= 0x39;
    label += letter || (digit && index > 0) ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`;
  });
  return LOGIN1_SESSION_PATH_PREFIX + (label || '_');
}

/** `dbus-monitor` match rules for the session bus: the screen savers' ActiveChanged. */
export function sessionBusRules(): string[] {
  return SCREEN_SAVER_INTERFACES.map((iface) => `type='signal',interface='${iface}',member='ActiveChanged'`);
}

/** `dbus-monitor` match rule for the system bus: logind's Lock for the one session path. */
export function systemBusRules(sessionPath: string): string[] {
  return [`type='signal',sender='org.freedesktop.login1',interface='${LOGIN1_SESSION_INTERFACE}',member='Lock',path='${sessionPath}'`];
}

/** A signal header of `dbus-monitor`'s default output. */
const HEADER = /^signal\s.*\spath=([^;]*); interface=([^;]*); member=(\S+)\s*$/;

/**
 * Reads `dbus-monitor` output one line at a time and says when a line completes a lock signal:
 * a login1 `Lock` on `sessionPath` (no arguments), or a screen saver's `ActiveChanged` whose
 * argument line is `boolean true`. `ActiveChanged(false)` (unlock) and everything else is ignored.
 */
export class LockSignalParser {
  private pendingActiveChanged = false;

  constructor(private readonly sessionPath: string | undefined) {}

  /** True when this line completes a lock signal. */
  feed(line: string): boolean {
    const header = HEADER.exec(line);
    if (header) {
      const [, path, iface, member] = header;
      this.pendingActiveChanged = member === 'ActiveChanged' && (SCREEN_SAVER_INTERFACES as readonly string[]).includes(iface!);
      return member === 'Lock' && iface === LOGIN1_SESSION_INTERFACE && this.sessionPath !== undefined && path === this.sessionPath;
    }
    if (!this.pendingActiveChanged) return false;
    this.pendingActiveChanged = false;
    return line.trim() === 'boolean true';
  }
}

/** Starts watching the session's lock signals on both buses. */
export function watchLinuxScreenLock(options: LinuxScreenLockOptions): LinuxScreenLockWatch {
  const env = options.env ?? process.env;
  const monitors: Monitor[] = [startMonitor('session', sessionBusRules(), undefined, env, options)];
  const sessionId = env.XDG_SESSION_ID;
  if (sessionId) {
    const path = login1SessionPath(sessionId);
    monitors.push(startMonitor('system', systemBusRules(path), path, env, options));
  } else {
    options.log('Linux screen lock: no XDG_SESSION_ID, so logind session locks are not watched.');
  }
  let stopped = false;
  return {
    ready: Promise.all(monitors.map((monitor) => monitor.ready)).then(() => undefined),
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const monitor of monitors) monitor.stop();
    },
  };
}

interface Monitor {
  ready: Promise<void>;
  stop(): void;
}

function startMonitor(
  bus: 'session' | 'system',
  rules: string[],
  sessionPath: string | undefined,
  env: Env,
  options: LinuxScreenLockOptions,
): Monitor {
  const parser = new LockSignalParser(sessionPath);
  let stopping = false;
  let gaveUp = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const child: ChildProcess = spawn('dbus-monitor', [`--${bus}`, ...rules], {
    env: { ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 500) stderr += chunk;
  });
  // dbus-monitor prints nothing before its match rules are in place; its first line (the bus's
  // NameAcquired) therefore means it listens.
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    markReady();
    if (!stopping && parser.feed(line)) options.onLock();
  });
  const giveUp = (line: string): void => {
    markReady();
    if (stopping || gaveUp) return;
    gaveUp = true;
    options.log(line);
  };
  child.on('error', (error: NodeJS.ErrnoException) =>
    giveUp(
      error.code === 'ENOENT'
        ? `Linux screen lock: dbus-monitor is not installed, so FieldKey does not lock with the ${bus} bus's lock signal.`
        : `Linux screen lock: dbus-monitor for the ${bus} bus could not start (${error.code ?? error.name}).`,
    ),
  );
  child.on('close', (code, signal) => {
    const reason = firstLine(stderr) || (signal ? `signal ${signal}` : `exit code ${code}`);
    giveUp(`Linux screen lock: not watching the ${bus} bus (${reason}).`);
  });
  return {
    ready,
    stop: () => {
      stopping = true;
      lines.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}
