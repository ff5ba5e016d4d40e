/**
 * The one FieldKey window: the renderer is isolated from Node and from the
 * preload's world, sandboxed, with web security on and no devtools in production builds.
 */
import type { BrowserWindowConstructorOptions } from './electron-api';

export interface WindowOptionsInput {
  /** Absolute path of the built preload (CommonJS, for the sandbox). */
  preloadPath: string;
  /** `app.isPackaged`: devtools only in development. */
  production: boolean;
}

export function mainWindowOptions({ preloadPath, production }: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    width: 1120,
    height: 780,
    minWidth: 720,
    minHeight: 560,
    title: 'FieldKey',
    show: false,
    backgroundColor: '#eef2f6',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !production,
    },
  };
}
