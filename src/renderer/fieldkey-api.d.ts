/** `window.fieldkey`, exposed by the preload (Electron) or the web bridge (development web host). */
import type { FieldKeyApi } from '../shared/ipc-contract';

declare global {
  interface Window {
    readonly fieldkey: FieldKeyApi;
  }
}

export {};
