import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { INVOKE_METHODS, STATE_CHANGED_CHANNEL, channelFor } from '../../../src/shared/ipc-contract';
import type { AppState } from '../../../src/shared/app-state';
import type { AppRuntime } from '../../../src/main/app/app-runtime';
import { electronStub } from './electron-stub';

vi.mock('electron', () => electronStub());

const stub = (await import('electron')) as unknown as ReturnType<typeof electronStub>;
const { bridgeIpc, senderInfo } = await import('../../../src/main/shell/ipc-bridge');

function fakeWindow() {
  const webContents = { send: vi.fn() };
  return { webContents, isDestroyed: () => false } as unknown as BrowserWindow & { webContents: { send: ReturnType<typeof vi.fn> } };
}

describe('senderInfo', () => {
  const window = fakeWindow();
  it('describes the main frame of the app window', () => {
    const event = { sender: window.webContents, senderFrame: { url: 'app://fieldkey/index.html', parent: null } };
    expect(senderInfo(event as unknown as IpcMainInvokeEvent, window)).toEqual({ url: 'app://fieldkey/index.html', mainFrame: true });
  });
  it('marks sub-frames', () => {
    const event = { sender: window.webContents, senderFrame: { url: 'app://fieldkey/index.html', parent: {} } };
    expect(senderInfo(event as unknown as IpcMainInvokeEvent, window).mainFrame).toBe(false);
  });
  it('refuses other web contents and destroyed frames', () => {
    expect(
      senderInfo({ sender: {}, senderFrame: { url: 'app://fieldkey/', parent: null } } as unknown as IpcMainInvokeEvent, window),
    ).toEqual({ url: undefined, mainFrame: false });
    expect(senderInfo({ sender: window.webContents, senderFrame: null } as unknown as IpcMainInvokeEvent, window).mainFrame).toBe(false);
  });
});

describe('bridgeIpc', () => {
  it('registers one handler per contract channel, forwards to the dispatcher, pushes states, and cleans up', async () => {
    const handle = vi.fn(async () => ({ ok: true as const, value: 'x' }));
    let push: ((state: AppState) => void) | undefined;
    const unsubscribe = vi.fn();
    const runtime = {
      dispatcher: { handle },
      subscribe: (listener: (state: AppState) => void) => {
        push = listener;
        return unsubscribe;
      },
    } as unknown as AppRuntime;
    const window = fakeWindow();
    const stop = bridgeIpc(runtime, window);

    expect(stub.ipcMain.handle.mock.calls.map((c) => c[0])).toEqual(INVOKE_METHODS.map(channelFor));
    const unlockHandler = stub.ipcMain.handle.mock.calls.find((c) => c[0] === 'fieldkey:unlock')![1] as (
      e: unknown,
      ...a: unknown[]
    ) => Promise<unknown>;
    const event = { sender: window.webContents, senderFrame: { url: 'app://fieldkey/index.html', parent: null } };
    await expect(unlockHandler(event, 'acct', '482915')).resolves.toEqual({ ok: true, value: 'x' });
    expect(handle).toHaveBeenCalledWith('fieldkey:unlock', { url: 'app://fieldkey/index.html', mainFrame: true }, ['acct', '482915']);

    const state: AppState = { status: 'signed-out', notice: null };
    push!(state);
    expect(window.webContents.send).toHaveBeenCalledWith(STATE_CHANGED_CHANNEL, state);

    stop();
    expect(unsubscribe).toHaveBeenCalled();
    expect(stub.ipcMain.removeHandler.mock.calls.map((c) => c[0])).toEqual(INVOKE_METHODS.map(channelFor));
  });
});
