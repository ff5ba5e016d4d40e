/**
 * A stand-in for the `electron` module in shell unit tests (under plain Node `require('electron')`
 * only returns the path of a binary that cannot be downloaded here). Each test file does
 * `vi.mock('electron', () => electronStub())` and inspects the spies.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export function electronStub() {
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => true),
    isPackaged: false,
    getVersion: vi.fn(() => '0.1.0'),
    enableSandbox: vi.fn(),
    whenReady: vi.fn(async () => undefined),
    setPath: vi.fn(),
    exit: vi.fn(),
    quit: vi.fn(),
  });
  const powerMonitor = Object.assign(new EventEmitter(), { getSystemIdleTime: vi.fn(() => 0) });
  const windows: FakeWindow[] = [];
  return {
    app,
    powerMonitor,
    shell: { openExternal: vi.fn(async () => undefined) },
    /** `net.fetch` rejects until a test gives it an implementation (as Electron would, offline). */
    net: {
      fetch: vi.fn(async (_input: string, _init?: RequestInit): Promise<Response> =>
        Promise.reject(new Error('net::ERR_INTERNET_DISCONNECTED')),
      ),
    },
    protocol: { registerSchemesAsPrivileged: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        setDevicePermissionHandler: vi.fn(),
        setDisplayMediaRequestHandler: vi.fn(),
        protocol: { handle: vi.fn() },
      },
    },
    /** Every window the code under test opened. */
    windows,
    BrowserWindow: class extends FakeWindow {
      constructor(options: unknown) {
        super(options);
        windows.push(this);
      }
    },
    /** Present so a test can prove nothing starts it (the shell's electron-api does not export it). */
    crashReporter: { start: vi.fn() },
  };
}

/** A BrowserWindow with the parts the shell touches. */
export class FakeWindow extends EventEmitter {
  readonly webContents = { send: vi.fn() };
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn();
  constructor(readonly options: unknown) {
    super();
  }
  isDestroyed(): boolean {
    return false;
  }
}

/** A WebContents with the parts hardening touches. */
export function fakeWebContents() {
  const contents = Object.assign(new EventEmitter(), {
    openHandler: undefined as undefined | ((details: { url: string }) => { action: string }),
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      contents.openHandler = handler;
    },
  });
  return contents;
}

/** An Electron-style event whose default can be prevented. */
export function preventable() {
  return { preventDefault: vi.fn() };
}
