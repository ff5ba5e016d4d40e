/**
 * The main process's one door to Electron: every other shell module imports Electron's API and
 * types from here, so a reader (and the lint rule) finds a single owner. Unit tests stub `electron`
 * itself, which this module re-exports.
 */
export { app, BrowserWindow, ipcMain, net, powerMonitor, protocol, session, shell } from 'electron';
export type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, Session, WebContents } from 'electron';
