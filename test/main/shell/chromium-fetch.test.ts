/**
 * The Electron shell's fetch (chromium-fetch.ts) with Electron stubbed: `net.fetch` is the unit's
 * direct collaborator, given Electron's documented behaviour (a redirect under `redirect: 'error'`
 * rejects with Electron's message; network failures reject with `net::ERR_*`) over Node's fetch to
 * a real server on 127.0.0.1. The OAuth client's `send` is real, so the outcomes are the app's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FieldKeyError } from '../../../src/shared/errors';
import { readJsonObject, send, serverDate } from '../../../src/main/core/oauth/http-client';
import { electronStub } from './electron-stub';

vi.mock('electron', () => electronStub());

const stub = (await import('electron')) as unknown as ReturnType<typeof electronStub>;
const { chromiumFetch } = await import('../../../src/main/shell/chromium-fetch');

/** What Electron's ClientRequest does with each redirect policy, over a real connection. */
async function electronLikeFetch(input: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, { ...init, redirect: 'manual' });
  if (response.status >= 300 && response.status < 400 && init?.redirect !== 'follow') {
    await response.body?.cancel();
    throw new Error(init?.redirect === 'manual' ? 'Redirect was cancelled' : "Attempted to redirect, but redirect policy was 'error'");
  }
  return response;
}

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/moved')) res.writeHead(302, { location: '/elsewhere' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'https://idp.example' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  stub.net.fetch.mockReset();
  stub.net.fetch.mockImplementation(electronLikeFetch);
});

const http = { fetch: chromiumFetch(), timeoutMs: 5_000 };

describe('chromiumFetch', () => {
  it('asks net.fetch for a stateless request that bypasses the app protocol handlers and refuses redirects', async () => {
    const response = await send(http, `${base}/doc`, { headers: { accept: 'application/json' } }, 'discovery');
    expect(await readJsonObject(response, 'discovery')).toEqual({ issuer: 'https://idp.example' });
    expect(serverDate(response)).toBeInstanceOf(Date);
    expect(stub.net.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = stub.net.fetch.mock.calls[0]!;
    expect(url).toBe(`${base}/doc`);
    expect(init).toMatchObject({
      redirect: 'error',
      credentials: 'omit',
      cache: 'no-store',
      bypassCustomProtocolHandlers: true,
      headers: { accept: 'application/json' },
    });
    expect(init!.signal).toBeInstanceOf(AbortSignal);
  });

  it('an IdP redirect is idp_unavailable (not offline), and the message leaves the query out', async () => {
    const error = await send(http, `${base}/moved?code=secret-code`, {}, 'token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FieldKeyError);
    expect((error as FieldKeyError).code).toBe('idp_unavailable');
    expect((error as FieldKeyError).message).toBe(
      `The identity provider answered ${base}/moved with a redirect, which FieldKey does not follow.`,
    );
    expect((error as FieldKeyError).message).not.toContain('secret-code');
  });

  it.each([
    'net::ERR_PROXY_CONNECTION_FAILED',
    'net::ERR_CERT_AUTHORITY_INVALID',
    'net::ERR_NAME_NOT_RESOLVED',
    'net::ERR_TUNNEL_CONNECTION_FAILED',
  ])('Chromium failure %s is offline, as a Node fetch error is', async (netError) => {
    stub.net.fetch.mockRejectedValueOnce(new Error(netError));
    const error = await send(http, `${base}/doc`, {}, 'discovery').catch((e: unknown) => e);
    expect((error as FieldKeyError).code).toBe('offline');
    expect((error as FieldKeyError).message).toBe(`Cannot reach the identity provider (discovery at ${base}/doc).`);
    expect(((error as FieldKeyError).cause as Error).message).toBe(netError);
  });

  it('a refused connection (nothing listening) and a timeout are offline', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(send(http, `http://127.0.0.1:${port}/doc`, {}, 'discovery')).rejects.toMatchObject({ code: 'offline' });

    stub.net.fetch.mockImplementationOnce(
      (_input, init) => new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason))),
    );
    await expect(send({ fetch: chromiumFetch(), timeoutMs: 50 }, `${base}/doc`, {}, 'discovery')).rejects.toMatchObject({
      code: 'offline',
    });
  });

  it('a request that may follow redirects is passed on as it is', async () => {
    stub.net.fetch.mockResolvedValueOnce(new Response('ok'));
    const response = await chromiumFetch()(`${base}/moved`, { method: 'GET' });
    expect(await response.text()).toBe('ok');
    expect(stub.net.fetch.mock.calls[0]![1]).toMatchObject({ redirect: 'follow', bypassCustomProtocolHandlers: true });
  });
});
