/**
 * The development web host over real loopback HTTP, with a test double of the auth service (the
 * composed one is exercised by the end-to-end tests): its guards (Host, Origin, fetch metadata,
 * secret), the dispatcher behind it, the state stream, the sign-in URL hand-off and static files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppState } from '../../src/shared/app-state';
import { INVOKE_METHODS } from '../../src/shared/ipc-contract';
import { startAppRuntime, type AppRuntime } from '../../src/main/app/app-runtime';
import type { AuthService } from '../../src/main/core/auth/auth-service-port';
import { fixedClock } from '../../src/main/core/clock';
import { bundlePageBridge } from '../../webhost/page-bridge-bundle';
import { createWebSignInOpener, listenOnLoopback, originOfServer, startWebHost, type WebHost } from '../../webhost/web-host';

const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstu';
const ENDPOINT = 'http://127.0.0.1:9/authorize';
let authorizationUrl = `${ENDPOINT}?state=s&code_challenge=c`;

function authDouble(): AuthService & { push(state: AppState): void } {
  let state: AppState = { status: 'signed-out', notice: null };
  const listeners = new Set<(s: AppState) => void>();
  return {
    push(next) {
      state = next;
      for (const l of listeners) l(next);
    },
    getState: () => state,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    beginSignIn: async () => ({ authorizationUrl, authorizationEndpoint: ENDPOINT }),
    cancelSignIn: async () => undefined,
    setPin: async () => undefined,
    unlock: async () => undefined,
    lock: () => undefined,
    wake: () => undefined,
    signOut: async () => undefined,
    switchAccount: async () => undefined,
    retry: async () => undefined,
    activeAccountId: () => undefined,
    accessFor: async () => 'locked',
    idleLockMinutes: () => 15,
    apiCredentials: () => undefined,
    onCheckIn: () => () => undefined,
    dispose: async () => undefined,
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('development web host', () => {
  let dir: string;
  let runtime: AppRuntime;
  let host: WebHost;
  let auth: ReturnType<typeof authDouble>;
  let goodHeaders: Record<string, string>;
  const invoke = (channel: string, args: unknown[], headers = goodHeaders) =>
    send(host.port, { method: 'POST', path: '/__fieldkey/invoke', headers, body: JSON.stringify({ channel, args }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fieldkey-webhost-'));
    const renderer = join(dir, 'renderer');
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(
      join(renderer, 'index.html'),
      '<!doctype html><html><head><script type="module" src="./assets/app.js"></script></head><body></body></html>',
    );
    writeFileSync(join(renderer, 'assets', 'app.js'), 'export {};');
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    const server = await listenOnLoopback(0);
    const { openSignInPage, calls } = createWebSignInOpener();
    auth = authDouble();
    runtime = await startAppRuntime({
      env: { FIELDKEY_DATA_DIR: join(dir, 'data') },
      platform: process.platform,
      clock: fixedClock(new Date('2026-03-01T08:00:00Z')),
      fetch: async () => new Response(),
      log: () => undefined,
      createAuthService: async () => auth,
      openSignInPage,
      allowedOrigins: [originOfServer(server)],
    });
    host = startWebHost({ runtime, calls, server, rendererDir: renderer, secret: SECRET, bridgeSource: await bundlePageBridge() });
    goodHeaders = {
      Host: `127.0.0.1:${host.port}`,
      Origin: host.origin,
      'Content-Type': 'application/json',
      'X-FieldKey-Secret': SECRET,
      'X-FieldKey-Frame': 'top',
      'Sec-Fetch-Site': 'same-origin',
    };
  });

  afterAll(async () => {
    await host.close();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL carrying the secret', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?k=${SECRET}`);
  });

  it('answers calls through the IPC dispatcher', async () => {
    const answer = await invoke('fieldkey:getState', []);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ result: { ok: true, value: { status: 'signed-out', notice: null } } });
    expect(JSON.parse((await invoke('fieldkey:unlock', ['x'])).body)).toMatchObject({
      result: { ok: false, error: { code: 'invalid_argument' } },
    });
    expect(JSON.parse((await invoke('fieldkey:nope', [])).body)).toMatchObject({
      result: { ok: false, error: { code: 'unknown_channel' } },
    });
    expect(JSON.parse((await invoke('fieldkey:getState', [], { ...goodHeaders, 'X-FieldKey-Frame': 'sub' })).body)).toMatchObject({
      result: { ok: false, error: { code: 'forbidden_sender' } },
    });
  });

  it('hands the checked sign-in URL to the page that asked, and refuses any other URL', async () => {
    expect(JSON.parse((await invoke('fieldkey:signIn', [])).body)).toEqual({
      result: { ok: true, value: undefined },
      open: authorizationUrl,
    });
    expect(JSON.parse((await invoke('fieldkey:getState', [])).body)).not.toHaveProperty('open');
    authorizationUrl = 'http://127.0.0.1:9/logout?next=evil';
    try {
      expect(JSON.parse((await invoke('fieldkey:addAccount', [])).body)).toEqual({
        result: { ok: false, error: expect.objectContaining({ code: 'sign_in_url_refused' }) },
      });
    } finally {
      authorizationUrl = `${ENDPOINT}?state=s&code_challenge=c`;
    }
  });

  it.each([
    ['no secret', { 'X-FieldKey-Secret': '' }, 403],
    ['a wrong secret', { 'X-FieldKey-Secret': SECRET.slice(0, -1) + 'x' }, 403],
    ['a foreign origin', { Origin: 'https://evil.example' }, 403],
    ['a null origin', { Origin: 'null' }, 403],
    ['a cross-site fetch', { 'Sec-Fetch-Site': 'cross-site' }, 403],
    ['a rebinding host name', { Host: `evil.example:1234` }, 421],
    ['localhost instead of 127.0.0.1', { Host: 'localhost' }, 421],
    ['a form post', { 'Content-Type': 'application/x-www-form-urlencoded' }, 415],
  ] as [string, Record<string, string>, number][])('refuses a call with %s (%i)', async (_name, override, status) => {
    const headers = { ...goodHeaders, ...override };
    if (headers.Host === 'localhost') headers.Host = `localhost:${host.port}`;
    const answer = await invoke('fieldkey:getState', [], headers);
    expect(answer.status).toBe(status);
    expect(answer.body).not.toContain('signed-out');
  });

  it('refuses a POST without Origin and over-large bodies', async () => {
    const { Origin: _origin, ...noOrigin } = goodHeaders;
    expect((await invoke('fieldkey:getState', [], noOrigin)).status).toBe(403);
    const big = await send(host.port, {
      method: 'POST',
      path: '/__fieldkey/invoke',
      headers: goodHeaders,
      body: JSON.stringify({ channel: 'fieldkey:createNote', args: ['t', 'x'.repeat(300 * 1024)] }),
    });
    expect(big.status).toBe(413);
  });

  it('streams the current state and every change to a caller with the secret', async () => {
    const received: AppState[] = [];
    const { Origin: _origin, 'Content-Type': _type, ...headers } = goodHeaders;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: '/__fieldkey/events', headers }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith('data: ')) received.push(JSON.parse(block.slice(6)) as AppState);
            if (received.length === 1)
              auth.push({ status: 'locked', notice: null, accounts: [], selectedAccountId: null, canAddAccount: true });
            if (received.length === 2) {
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(received.map((s) => s.status)).toEqual(['signed-out', 'locked']);
    const refused = await send(host.port, { path: '/__fieldkey/events', headers: { Host: goodHeaders.Host! } });
    expect(refused.status).toBe(403);
  });

  it('serves the page with the bridge before the app script, under the CSP', async () => {
    const page = await send(host.port, { path: '/?k=whatever', headers: { Host: goodHeaders.Host! } });
    expect(page.status).toBe(200);
    expect(page.body.indexOf('<script src="/__fieldkey/web-bridge.js"></script>')).toBeGreaterThan(-1);
    expect(page.body.indexOf('web-bridge.js')).toBeLessThan(page.body.indexOf('./assets/app.js'));
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    const bridge = await send(host.port, { path: '/__fieldkey/web-bridge.js', headers: { Host: goodHeaders.Host! } });
    // Bundled from the shared factory: every contract method, the web host's own transport.
    for (const method of INVOKE_METHODS) expect(bridge.body).toContain(`"${method}"`);
    expect(bridge.body).toContain('/__fieldkey/invoke');
    expect(bridge.body).not.toContain(SECRET);
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%252e%252e/secret.txt', '//etc/passwd'])(
    'refuses %s',
    async (path) => {
      const answer = await send(host.port, { path, headers: { Host: goodHeaders.Host! } });
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('outside');
    },
  );
});
