/**
 * `window.fieldkey`, built once from the IPC contract over a transport: the Electron preload's
 * transport is `ipcRenderer`, the development web host's page bridge carries the same calls over a
 * loopback connection. Named functions only; a state listener only ever receives the state.
 */
import type { AppState } from './app-state';
import { INVOKE_METHODS, type FieldKeyApi, type InvokeMethod } from './ipc-contract';

export interface BridgeTransport {
  /** Sends one call; resolves with the main process's `Result`. */
  invoke(method: InvokeMethod, args: unknown[]): Promise<unknown>;
  /** Delivers every new state to `listener`; returns an unsubscribe function. */
  subscribe(listener: (state: AppState) => void): () => void;
}

export function createFieldKeyApi(transport: BridgeTransport): FieldKeyApi {
  const calls = Object.fromEntries(INVOKE_METHODS.map((method) => [method, (...args: unknown[]) => transport.invoke(method, args)]));
  const onStateChanged = (listener: (state: AppState) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('onStateChanged needs a function');
    return transport.subscribe((state) => listener(state));
  };
  return Object.freeze({ ...(calls as Omit<FieldKeyApi, 'onStateChanged'>), onStateChanged }) satisfies FieldKeyApi;
}
