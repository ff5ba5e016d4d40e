/**
 * Who may call the main process (after VS Code's `validatedIpcMain`): only the
 * app's own top-level document. The Electron shell describes each IPC event's sender frame (its URL
 * and whether it is the main frame); the development web host describes its checked HTTP request.
 */

export interface SenderInfo {
  /** The URL of the document that sent the call (Electron: `event.senderFrame.url`). */
  url: string | null | undefined;
  /** False for a sub-frame (`event.senderFrame.parent !== null`). */
  mainFrame: boolean;
}

/** The app's own origin: the renderer is served from `app://fieldkey/`. */
export const APP_ORIGIN = 'app://fieldkey';

/**
 * `scheme://host[:port]` of a URL, lower-cased, or undefined. WHATWG `URL.origin` is `"null"` for
 * non-special schemes such as `app:`, so the origin is assembled from its parts.
 */
export function originOf(url: string | null | undefined): string | undefined {
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.host === '' || parsed.username !== '' || parsed.password !== '') return undefined;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** True when the call comes from the main frame of a document on one of `allowedOrigins`. */
export function isTrustedSender(sender: SenderInfo, allowedOrigins: readonly string[]): boolean {
  if (sender.mainFrame !== true) return false;
  const origin = originOf(sender.url);
  return origin !== undefined && allowedOrigins.some((allowed) => allowed.toLowerCase() === origin);
}
