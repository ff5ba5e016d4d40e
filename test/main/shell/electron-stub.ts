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
  });
  const powerMonitor = Object.assign(new EventEmitter(), { getSystemIdleTime: vi.fn(() => 0) });
  return {
    app,
    powerMonitor,
    shell: { openExternal: vi.fn(async () => undefined) },
    protocol: { registerSchemesAsPrivileged: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
  };
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
