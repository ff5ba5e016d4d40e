/**
 * The command line's and the web host's fetch (env-proxy-fetch.ts) against the real demo IdP and a
 * real proxy on 127.0.0.1: HTTP_PROXY / HTTPS_PROXY send the IdP traffic through the proxy (which
 * records it), NO_PROXY and no variables reach the IdP directly, a dead proxy is `offline`. Over TLS
 * the demo IdP has a certificate from a private CA made for the run, trusted only through
 * NODE_EXTRA_CA_CERTS in a child process (Node reads it at start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { discover } from '../../../../src/main/core/oauth/discovery';
import { envProxyFetch, proxySettings } from '../../../../src/main/adapters/http/env-proxy-fetch';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { Env } from '../../../../src/main/core/environment';
import { createPrivateCa, type PrivateCa } from '../../../helpers/private-ca';
import { startRecordingProxy, type RecordingProxy } from '../../../helpers/recording-proxy';
import { killTsxChildren, runTsx } from '../../../helpers/tsx-process';

const CHILD = 'test/main/adapters/http/discover-through-env.ts';
let dir: string;
let idp: DemoIdp;
let tlsIdp: DemoIdp;
let ca: PrivateCa;
let proxy: RecordingProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-proxy-'));
  ca = createPrivateCa(dir);
  idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp') });
  tlsIdp = await startDemoIdp({ port: 0, dataDir: join(dir, 'tls-idp'), tls: { key: ca.key, cert: ca.cert } });
  proxy = await startRecordingProxy();
}, 60_000);

afterEach(() => {
  proxy.seen.length = 0;
  killTsxChildren();
});

afterAll(async () => {
  await Promise.all([idp?.stop(), tlsIdp?.stop(), proxy?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function discoverWith(env: Env, issuer = idp.issuer) {
  const policy = withDefaults({ issuer, clientId: idp.clientId });
  return discover({
    policy,
    http: { fetch: envProxyFetch(env), timeoutMs: 10_000 },
    cache: { save: () => undefined, load: () => undefined },
  });
}

const hostOf = (issuer: string): string => new URL(issuer).host;

describe('proxy variables', () => {
  it('HTTP_PROXY sends the IdP traffic through the proxy', async () => {
    const metadata = await discoverWith({ HTTP_PROXY: proxy.url });
    expect(metadata.tokenEndpoint).toBe(`${idp.issuer}/token`);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.every((line) => line.includes(hostOf(idp.issuer)))).toBe(true);
  });

  it('without proxy variables the same IdP is reached directly', async () => {
    const metadata = await discoverWith({});
    expect(metadata.tokenEndpoint).toBe(`${idp.issuer}/token`);
    expect(proxy.seen).toEqual([]);
  });

  it('NO_PROXY names hosts reached directly', async () => {
    await discoverWith({ HTTP_PROXY: proxy.url, NO_PROXY: 'idp.example.com,127.0.0.1' });
    expect(proxy.seen).toEqual([]);
    await discoverWith({ HTTP_PROXY: proxy.url, NO_PROXY: 'idp.example.com' });
    expect(proxy.seen.length).toBeGreaterThan(0);
  });

  it('a proxy that is not there makes the IdP offline, never a refusal', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(discoverWith({ HTTP_PROXY: `http://127.0.0.1:${port}` })).rejects.toMatchObject({ code: 'offline' });
  });

  it('reads lower-case names before upper-case ones, and HTTPS_PROXY only for https', () => {
    expect(proxySettings({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', NO_PROXY: '.corp' })).toEqual({
      httpProxy: '',
      httpsProxy: 'http://a:1',
      noProxy: '.corp',
    });
    expect(proxySettings({})).toEqual({ httpProxy: '', httpsProxy: '', noProxy: '' });
  });
});

describe('TLS under a private CA, in a fresh process', () => {
  async function childDiscovery(env: Record<string, string>): Promise<{ ok: boolean; code?: string; tokenEndpoint?: string }> {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(https?_proxy|no_proxy|node_extra_ca_certs)$/i.test(name)),
    );
    const run = runTsx(CHILD, [tlsIdp.issuer], { ...clean, ...env });
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    return JSON.parse(run.stdout().trim().split('\n').at(-1)!) as { ok: boolean; code?: string };
  }

  it('HTTPS_PROXY tunnels to the IdP, whose certificate is trusted through NODE_EXTRA_CA_CERTS', async () => {
    const result = await childDiscovery({ HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile });
    expect(result).toEqual({ ok: true, tokenEndpoint: `${tlsIdp.issuer}/token` });
    expect(proxy.seen).toEqual([`CONNECT ${hostOf(tlsIdp.issuer)}`]);
  }, 30_000);

  it('without NODE_EXTRA_CA_CERTS the private CA is not trusted: offline, through the proxy or not', async () => {
    expect(await childDiscovery({ HTTPS_PROXY: proxy.url })).toEqual({ ok: false, code: 'offline' });
    expect(proxy.seen).toEqual([`CONNECT ${hostOf(tlsIdp.issuer)}`]);
    expect(await childDiscovery({})).toEqual({ ok: false, code: 'offline' });
  }, 30_000);

  it('without proxy variables the IdP is reached directly over the same trusted TLS', async () => {
    expect(await childDiscovery({ NODE_EXTRA_CA_CERTS: ca.caFile })).toEqual({ ok: true, tokenEndpoint: `${tlsIdp.issuer}/token` });
    expect(proxy.seen).toEqual([]);
  }, 30_000);
});
