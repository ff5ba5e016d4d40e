/**
 * Electron IPC for the contract: one `ipcMain.handle` per contract channel, each handing the call to
 * the Electron-free dispatcher (ipc-handlers.ts) with a description of the sender frame, and the
 * state pushed to the window on every change.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from './electron-api';
import { INVOKE_METHODS, STATE_CHANGED_CHANNEL, channelFor, type Result } from '../../shared/ipc-contract';
import type { AppRuntime } from '../app/app-runtime';
import type { SenderInfo } from '../app/ipc-sender';

/** The sender of one IPC event, as the dispatcher checks it. Calls from any other window are refused. */
export function senderInfo(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, window: BrowserWindow): SenderInfo {
  const frame = event.senderFrame;
  if (event.sender !== window.webContents || !frame) return { url: undefined, mainFrame: false };
  return { url: frame.url, mainFrame: frame.parent === null };
}

/** Registers the handlers and the state push; returns a function that removes them. */
export function bridgeIpc(runtime: AppRuntime, window: BrowserWindow): () => void {
  for (const method of INVOKE_METHODS) {
    const channel = channelFor(method);
    ipcMain.handle(channel, (event, ...args: unknown[]): Promise<Result<unknown>> =>
      runtime.dispatcher.handle(channel, senderInfo(event, window), args),
    );
  }
  const unsubscribe = runtime.subscribe((state) => {
    if (!window.isDestroyed()) window.webContents.send(STATE_CHANGED_CHANNEL, state);
  });
  return () => {
    unsubscribe();
    for (const method of INVOKE_METHODS) ipcMain.removeHandler(channelFor(method));
  };
}
