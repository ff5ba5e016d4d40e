/**
 * FieldKey development web host: a DEVELOPMENT TOOL, not part of the shipped app. The Electron
 * binary cannot run on our build machines, so this serves the built renderer (out/renderer) on
 * 127.0.0.1 to an ordinary browser and carries the preload API (`window.fieldkey`) to the real
 * main-process services over loopback HTTP instead of Electron IPC.
 *
 * Guards (a page from another origin, another local user's process or a DNS-rebinding site must not
 * drive it):
 *  - listens on 127.0.0.1 only, and answers only requests whose Host is exactly `127.0.0.1:<port>`;
 *  - the API (`/__fieldkey/invoke`, `/__fieldkey/events`) requires this run's random secret in the
 *    `X-FieldKey-Secret` header (compared in constant time), an Origin equal to the host's own (or
 *    none, for same-origin GETs), and `Sec-Fetch-Site: same-origin` when the browser sends it; a
 *    custom header and a JSON body also force a CORS preflight, which is never answered;
 *  - every call then goes through the same dispatcher as Electron IPC (contract channels only,
 *    sender check against this origin's main frame, argument validation, results as data);
 *  - pages carry the app's CSP (with `connect-src 'self'` for the bridge) and `frame-ancestors 'none'`.
 * The sign-in URL is checked like the Electron shell checks it, then handed to the page, which opens
 * it in a new browser tab.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FieldKeyError } from '../src/shared/errors';
import type { OpenSignInPage } from '../src/main/app/app-handlers';
import type { AppRuntime } from '../src/main/app/app-runtime';
import { contentTypeFor, rendererHeaders, resolveAppPath } from '../src/main/app/renderer-files';
import { isSignInUrl } from '../src/main/app/sign-in-url';

export const LOOPBACK_HOST = '127.0.0.1';
export const BRIDGE_PATH = '/__fieldkey/web-bridge.js';
export const INVOKE_PATH = '/__fieldkey/invoke';
export const EVENTS_PATH = '/__fieldkey/events';
export const SECRET_HEADER = 'x-fieldkey-secret';
const FRAME_HEADER = 'x-fieldkey-frame';
const MAX_BODY_BYTES = 256 * 1024;
const KEEP_ALIVE_MS = 15_000;

/** Per request: the sign-in URL a call asked to open, if any. */
interface CallContext {
  open?: string;
}

/**
 * The web host's `OpenSignInPage`: it checks the URL (as the shell does before `openExternal`) and
 * hands it back to the page that made the call, which opens it in a new tab.
 */
export function createWebSignInOpener(): { openSignInPage: OpenSignInPage; calls: AsyncLocalStorage<CallContext> } {
  const calls = new AsyncLocalStorage<CallContext>();
  const openSignInPage: OpenSignInPage = async ({ authorizationUrl, authorizationEndpoint }) => {
    if (!isSignInUrl(authorizationUrl, authorizationEndpoint)) {
      throw new FieldKeyError(
        'sign_in_url_refused',
        "FieldKey refused to open a sign-in address that is not the identity provider's sign-in page.",
      );
    }
    const context = calls.getStore();
    if (!context) throw new FieldKeyError('browser_unavailable', 'The sign-in page can only be opened from the FieldKey page.');
    context.open = authorizationUrl;
  };
  return { openSignInPage, calls };
}

export interface WebHostOptions {
  /** The app runtime, started with `openSignInPage` from the same `createWebSignInOpener()` and `allowedOrigins: [origin]`. */
  runtime: AppRuntime;
  calls: AsyncLocalStorage<CallContext>;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** The listening server, created by `listenOnLoopback`. */
  server: Server;
  /** Default: 32 random bytes, base64url. */
  secret?: string;
  /** The page-side bridge, bundled for the browser (page-bridge-bundle.ts). */
  bridgeSource: string;
}

export interface WebHost {
  readonly origin: string;
  readonly port: number;
  /** The page to open, with this run's secret. */
  readonly url: string;
  close(): Promise<void>;
}

/** Creates a server listening on 127.0.0.1:`port` (0: a free port); requests are handled once `startWebHost` attaches. */
export async function listenOnLoopback(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function originOfServer(server: Server): string {
  return `http://${LOOPBACK_HOST}:${(server.address() as AddressInfo).port}`;
}

export function startWebHost(options: WebHostOptions): WebHost {
  const { runtime, calls, server } = options;
  const port = (server.address() as AddressInfo).port;
  const origin = originOfServer(server);
  const host = `${LOOPBACK_HOST}:${port}`;
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const secretBytes = Buffer.from(secret, 'utf8');
  const bridge = options.bridgeSource;
  const streams = new Set<ServerResponse>();

  const secretMatches = (value: string | string[] | undefined): boolean => {
    if (typeof value !== 'string') return false;
    const given = Buffer.from(value, 'utf8');
    return given.length === secretBytes.length && timingSafeEqual(given, secretBytes);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, rendererHeaders(type, { connectSelf: true }));
    res.end(body);
  };
  const refuse = (res: ServerResponse, status: number, text: string): void => send(res, status, 'text/plain; charset=utf-8', text);

  /** Host, Origin, fetch metadata and secret: the API's guards. */
  const apiAllowed = (req: IncomingMessage): boolean => {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== origin) return false;
    if (req.method === 'POST' && requestOrigin !== origin) return false;
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return false;
    return secretMatches(req.headers[SECRET_HEADER]);
  };

  const readBody = async (req: IncomingMessage): Promise<string | undefined> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const invoke = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'JSON only');
    const text = await readBody(req);
    if (text === undefined) return refuse(res, 413, 'Too large');
    let call: unknown;
    try {
      call = JSON.parse(text);
    } catch {
      return refuse(res, 400, 'Bad JSON');
    }
    const { channel, args } = (typeof call === 'object' && call !== null ? call : {}) as { channel?: unknown; args?: unknown };
    const sender = { url: `${origin}/`, mainFrame: req.headers[FRAME_HEADER] === 'top' };
    const context: CallContext = {};
    const result = await calls.run(context, () =>
      runtime.dispatcher.handle(typeof channel === 'string' ? channel : '', sender, args as readonly unknown[]),
    );
    send(
      res,
      200,
      'application/json; charset=utf-8',
      JSON.stringify(result.ok && context.open ? { result, open: context.open } : { result }),
    );
  };

  const events = (res: ServerResponse): void => {
    res.writeHead(200, { ...rendererHeaders('text/event-stream; charset=utf-8', { connectSelf: true }), Connection: 'keep-alive' });
    const write = (state: unknown): void => void res.write(`data: ${JSON.stringify(state)}\n\n`);
    write(runtime.getState());
    const unsubscribe = runtime.subscribe(write);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    streams.add(res);
    res.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(res);
    });
  };

  const page = async (res: ServerResponse, file: string): Promise<void> => {
    const html = await readFile(file, 'utf8');
    // The bridge must define window.fieldkey before the app's module script runs.
    const tag = `<script src="${BRIDGE_PATH}"></script>`;
    const injected = html.includes('<script') ? html.replace('<script', `${tag}\n    <script`) : html.replace('</head>', `${tag}\n</head>`);
    send(res, 200, 'text/html; charset=utf-8', injected);
  };

  const staticFile = async (res: ServerResponse, url: string): Promise<void> => {
    const file = resolveAppPath(options.rendererDir, url);
    const type = file && contentTypeFor(file);
    if (!file || !type) return refuse(res, 404, 'Not found');
    try {
      if (type.startsWith('text/html')) return await page(res, file);
      send(res, 200, type, await readFile(file));
    } catch {
      refuse(res, 404, 'Not found');
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      // DNS rebinding: a page of another name resolving to 127.0.0.1 sends its own Host.
      if (req.headers.host !== host) return refuse(res, 421, 'Wrong host');
      const url = req.url ?? '/';
      const path = url.replace(/[?#].*$/s, '');
      if (path === INVOKE_PATH) {
        if (req.method !== 'POST') return refuse(res, 405, 'POST only');
        if (!apiAllowed(req)) return refuse(res, 403, 'Forbidden');
        return invoke(req, res);
      }
      if (path === EVENTS_PATH) {
        if (req.method !== 'GET') return refuse(res, 405, 'GET only');
        if (!apiAllowed(req)) return refuse(res, 403, 'Forbidden');
        return events(res);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
      if (path === BRIDGE_PATH) return send(res, 200, 'text/javascript; charset=utf-8', bridge);
      return staticFile(res, url);
    })().catch(() => {
      if (!res.headersSent) refuse(res, 500, 'Internal error');
      else res.end();
    });
  });

  return {
    origin,
    port,
    url: `${origin}/?k=${secret}`,
    close: async () => {
      for (const stream of streams) stream.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
