/**
 * The renderer is served from `app://fieldkey/`, never `file://`: a privileged
 * standard scheme (own origin, secure context) whose handler serves files of the built renderer only,
 * through `resolveAppPath` (no `..`, no encoded traversal), with the strict CSP on every response.
 */
import { protocol, type Session } from './electron-api';
import { readFile } from 'node:fs/promises';
import { APP_HOST, APP_SCHEME, contentTypeFor, rendererHeaders, resolveAppPath } from '../app/renderer-files';

export { resolveAppPath } from '../app/renderer-files';

/** The page the window loads. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false, bypassCSP: false },
    },
  ]);
}

/** What the protocol answers for one request (exported for tests). */
export async function appResponse(rootDir: string, request: { url: string; method: string }): Promise<Response> {
  const plain = (status: number, text: string): Response =>
    new Response(text, { status, headers: rendererHeaders('text/plain; charset=utf-8') });
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
  const file = resolveAppPath(rootDir, request.url);
  const type = file && contentTypeFor(file);
  if (!file || !type) return plain(404, 'Not found');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return plain(404, 'Not found');
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: rendererHeaders(type) });
}

/** Serves `rootDir` (out/renderer) on the session's `app:` scheme. */
export function serveAppProtocol(session: Session, rootDir: string): void {
  session.protocol.handle(APP_SCHEME, (request) => appResponse(rootDir, request));
}
