/**
 * The preload (DESIGN.md section 6): exposes `window.fieldkey`, built from the IPC contract, with
 * named functions only. `ipcRenderer` itself never reaches the page, and a state listener only ever
 * receives the state (never the IPC event). Runs sandboxed: bundled to CommonJS, electron only.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppState } from '../shared/app-state';
import { INVOKE_METHODS, STATE_CHANGED_CHANNEL, channelFor, type FieldKeyApi, type InvokeMethod } from '../shared/ipc-contract';

function invoker(method: InvokeMethod): (...args: unknown[]) => Promise<unknown> {
  const channel = channelFor(method);
  return (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}

function onStateChanged(listener: (state: AppState) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('onStateChanged needs a function');
  const forward = (_event: IpcRendererEvent, state: AppState): void => listener(state);
  ipcRenderer.on(STATE_CHANGED_CHANNEL, forward);
  return () => {
    ipcRenderer.removeListener(STATE_CHANGED_CHANNEL, forward);
  };
}

const api = Object.freeze({
  ...(Object.fromEntries(INVOKE_METHODS.map((method) => [method, invoker(method)])) as Omit<FieldKeyApi, 'onStateChanged'>),
  onStateChanged,
}) satisfies FieldKeyApi;

contextBridge.exposeInMainWorld('fieldkey', api);
