import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isFieldKeyError } from '../../../../src/shared/errors';
import {
  IdpError,
  startLoopbackRedirect,
  type LoopbackRedirect,
  type LoopbackRedirectOptions,
} from '../../../../src/main/core/oauth/loopback-redirect';

const STATE = 'state-abcdefghijklmnopqrstuvwxyz0123456789';
const ISSUER = 'https://idp.example.test';
let listener: LoopbackRedirect | undefined;

afterEach(() => {
  listener?.cancel();
  listener = undefined;
});

async function start(options: Partial<LoopbackRedirectOptions> = {}): Promise<LoopbackRedirect> {
  listener = await startLoopbackRedirect({ state: STATE, issuer: ISSUER, requireIss: false, ...options });
  return listener;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so tests control the method, the path bytes and the Host header. */
function call(port: number, path: string, { method = 'GET', host }: { method?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: host ?? `127.0.0.1:${port}` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const query = (params: Record<string, string>) => `/callback?${new URLSearchParams(params).toString()}`;

describe('loopback redirect listener', () => {
  it('listens on 127.0.0.1 only, on an ephemeral port, at /callback', async () => {
    const l = await start();
    expect(l.redirectUri).toBe(`http://127.0.0.1:${l.port}/callback`);
    expect(l.port).toBeGreaterThan(0);
    await expect(call(l.port, '/callback', { host: `[::1]:${l.port}` }).then((r) => r.status)).resolves.toBe(400);
    await expect(
      new Promise((resolve, reject) => {
        const req = request({ host: '::1', port: l.port, path: '/callback', agent: false }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH/) });
  });

  it('accepts the right state once, shows the plain page with safe headers, then closes', async () => {
    const l = await start();
    const reply = await call(l.port, query({ code: 'the-code', state: STATE }));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('You can return to FieldKey');
    expect(reply.body).not.toMatch(/<script/i);
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['content-security-policy']).toContain("default-src 'none'");
    expect(reply.headers['content-security-policy']).not.toContain('script-src');
    await expect(l.response).resolves.toEqual({ code: 'the-code' });
    await expect(call(l.port, query({ code: 'again', state: STATE }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it.each(['/', '/callback/', '/CALLBACK', '/callbackx', '/%63allback', '/favicon.ico', '/callback/../x'])(
    'answers 404 for the stray path %s without ending the flow',
    async (path) => {
      const l = await start();
      expect((await call(l.port, `${path}?code=x&state=${STATE}`)).status).toBe(404);
      expect(l.refused().path).toBe(1);
      await call(l.port, query({ code: 'real', state: STATE }));
      await expect(l.response).resolves.toEqual({ code: 'real' });
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'])('answers 405 to %s without ending the flow', async (method) => {
    const l = await start();
    const reply = await call(l.port, query({ code: 'x', state: STATE }), { method });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET');
    expect(l.refused().method).toBe(1);
    await call(l.port, query({ code: 'real', state: STATE }));
    await expect(l.response).resolves.toEqual({ code: 'real' });
  });

  it.each([
    ['a wrong state', { code: 'forged', state: 'not-the-state' }, 'state'],
    ['no state', { code: 'forged' }, 'state'],
    ['a wrong state with error=', { error: 'access_denied', state: 'nope' }, 'state'],
    ['a wrong iss', { code: 'forged', state: STATE, iss: 'https://evil.example.test' }, 'iss'],
    ['an iss differing in case', { code: 'forged', state: STATE, iss: ISSUER.toUpperCase() }, 'iss'],
  ] as const)('refuses %s with 400, counts it, and keeps listening', async (_name, params, reason) => {
    const l = await start();
    const reply = await call(l.port, query(params));
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain('forged');
    expect(l.refused()[reason]).toBe(1);
    await call(l.port, query({ code: 'real', state: STATE, iss: ISSUER }));
    await expect(l.response).resolves.toEqual({ code: 'real', iss: ISSUER });
  });

  it('refuses repeated parameters and a foreign Host header (DNS rebinding) without ending the flow', async () => {
    const l = await start();
    expect((await call(l.port, `/callback?code=a&state=${STATE}&state=${STATE}`)).status).toBe(400);
    expect((await call(l.port, query({ code: 'a', state: STATE }), { host: `evil.example.test:${l.port}` })).status).toBe(400);
    expect(l.refused()).toMatchObject({ malformed: 1, host: 1 });
    await call(l.port, query({ code: 'real', state: STATE }));
    await expect(l.response).resolves.toEqual({ code: 'real' });
  });

  it('requires iss when the IdP advertises it (RFC 9207)', async () => {
    const l = await start({ requireIss: true });
    expect((await call(l.port, query({ code: 'no-iss', state: STATE }))).status).toBe(400);
    expect(l.refused().iss).toBe(1);
    await call(l.port, query({ code: 'real', state: STATE, iss: ISSUER }));
    await expect(l.response).resolves.toEqual({ code: 'real', iss: ISSUER });
  });

  it("ends the flow with the IdP's error, sanitized and shown escaped", async () => {
    const l = await start();
    const reply = await call(l.port, query({ error: 'access_denied', error_description: 'User <b>said</b> no\u0007\u00e9', state: STATE }));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('access_denied');
    expect(reply.body).toContain('User &#60;b&#62;said&#60;/b&#62; no');
    expect(reply.body).not.toContain('<b>');
    const error = await l.response.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdpError);
    expect(error).toMatchObject({ code: 'idp_error', error: 'access_denied', description: 'User <b>said</b> no' });
  });

  it('ends the flow when the right state comes without a code', async () => {
    const l = await start();
    expect((await call(l.port, query({ state: STATE }))).status).toBe(400);
    await expect(l.response).rejects.toSatisfy((e) => isFieldKeyError(e, 'authorization_response_invalid'));
  });

  it('times out and closes the port', async () => {
    const l = await start({ timeoutMs: 50 });
    await expect(l.response).rejects.toSatisfy((e) => isFieldKeyError(e, 'sign_in_timeout'));
    await expect(call(l.port, query({ code: 'late', state: STATE }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('cancel() ends the flow and closes the port', async () => {
    const l = await start();
    l.cancel();
    await expect(l.response).rejects.toSatisfy((e) => isFieldKeyError(e, 'sign_in_cancelled'));
    await expect(call(l.port, query({ code: 'late', state: STATE }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('uses a fixed port when asked and reports a busy one', async () => {
    const first = await start();
    await expect(startLoopbackRedirect({ state: STATE, issuer: ISSUER, requireIss: false, port: first.port })).rejects.toSatisfy((e) =>
      isFieldKeyError(e, 'redirect_port_unavailable'),
    );
    const port = first.port;
    first.cancel();
    await first.response.catch(() => undefined);
    const fixed = await start({ port });
    expect(fixed.redirectUri).toBe(`http://127.0.0.1:${port}/callback`);
  });
});
