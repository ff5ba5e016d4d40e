/**
 * The preload: exposes `window.fieldkey` (src/shared/fieldkey-bridge.ts over Electron IPC).
 * `ipcRenderer` itself never reaches the page, and a state listener only ever receives the state
 * (never the IPC event). Runs sandboxed: bundled to CommonJS, electron only.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppState } from '../shared/app-state';
import { createFieldKeyApi } from '../shared/fieldkey-bridge';
import { STATE_CHANGED_CHANNEL, channelFor } from '../shared/ipc-contract';

const api = createFieldKeyApi({
  invoke: (method, args) => ipcRenderer.invoke(channelFor(method), ...args),
  subscribe: (listener) => {
    const forward = (_event: IpcRendererEvent, state: AppState): void => listener(state);
    ipcRenderer.on(STATE_CHANGED_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(STATE_CHANGED_CHANNEL, forward);
    };
  },
});

contextBridge.exposeInMainWorld('fieldkey', api);
