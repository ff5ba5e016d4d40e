/**
 * Serving the built renderer (out/renderer): which file a request names, its content type, and the
 * security headers every response carries. Used by the Electron shell's `app://fieldkey/` protocol
 * and by the development web host, so both refuse the same paths and send the same CSP.
 *
 * `resolveAppPath` works on the raw request text, before any URL normalisation could turn
 * `/a/%2e%2e/b` or `/a/../b` into something that looks harmless: it refuses dot segments, encoded
 * dots, slashes, backslashes and percent signs (so double encoding cannot hide them either),
 * absolute and drive paths, NUL and other control characters, dotfiles, and anything that would
 * land outside the root after joining.
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

/** The renderer's host under the app scheme. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'fieldkey';

const MAX_REQUEST_CHARS = 2048;

/**
 * The absolute file inside `rootDir` that `requestUrl` names, or undefined if the request must be
 * refused. `requestUrl` is either `app://fieldkey/<path>` or an origin-relative path (`/<path>`,
 * as an HTTP request line has it). An empty path or `/` names `index.html`.
 */
export function resolveAppPath(rootDir: string, requestUrl: string): string | undefined {
  if (typeof requestUrl !== 'string' || requestUrl.length > MAX_REQUEST_CHARS) return undefined;
  let rest: string;
  const prefix = `${APP_SCHEME}://${APP_HOST}`;
  if (requestUrl.slice(0, prefix.length).toLowerCase() === prefix) {
    rest = requestUrl.slice(prefix.length);
    if (rest !== '' && !/^[/?#]/.test(rest)) return undefined; // app://fieldkey.evil/, app://fieldkey:1/
  } else if (requestUrl.startsWith('/')) {
    rest = requestUrl;
  } else {
    return undefined;
  }
  const rawPath = rest.replace(/[?#].*$/s, '');
  if (rawPath.startsWith('//')) return undefined; // a network-path reference, never a file
  // Encoded dot, slash, backslash, percent (double encoding) and NUL are never part of a file name here.
  if (/%(2e|2f|5c|25|00)/i.test(rawPath)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\:*?"<>|]/.test(decoded)) return undefined;
  const segments = decoded.split('/').filter((s, i) => !(i === 0 && s === ''));
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) segments.splice(0, segments.length, 'index.html');
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('.')) return undefined; // '//', '.', '..', dotfiles
  }
  const root = resolve(rootDir);
  const file = resolve(root, ...segments);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || !file.startsWith(root + sep)) return undefined;
  return file;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type for a file, or undefined for a kind of file the renderer never serves. */
export function contentTypeFor(file: string): string | undefined {
  return CONTENT_TYPES[extname(file).toLowerCase()];
}

/**
 * The renderer's Content-Security-Policy: no inline or eval script, nothing loaded from elsewhere,
 * no plugins, no framing, no form posts. The app talks to the main process over IPC only
 * (`connect-src 'none'`); the development web host allows its own origin for its loopback bridge.
 */
export function contentSecurityPolicy(options: { connectSelf?: boolean } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${options.connectSelf ? "'self'" : "'none'"}`,
    "manifest-src 'none'",
    "media-src 'none'",
    "worker-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Headers for every renderer response. */
export function rendererHeaders(contentType: string, options: { connectSelf?: boolean } = {}): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}
