/**
 * A refresh whose answer is lost after the IdP rotated the refresh token, end to end: the demo IdP
 * (oidc-provider, SQLite store) on 127.0.0.1, a sign-in through headless Chromium for real tokens,
 * and the Refresher talking to the token endpoint through a TCP proxy that forwards the request and
 * cuts the connection as the answer starts. With the IdP's reuse grace window, the one retry with
 * the same refresh token gets new tokens; without it, or once the window has passed, the reuse
 * revokes the session as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { systemClock } from '../../../../src/main/core/clock';
import type { ProviderMetadata } from '../../../../src/main/core/oauth/discovery';
import { Refresher } from '../../../../src/main/core/oauth/refresh';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import { launchChromium } from '../../../helpers/browser-sign-in';
import { DemoIdpTokens, postForm } from '../../../helpers/demo-idp-tokens';
import { startLossyProxy, type LossyProxy } from '../../../helpers/lossy-proxy';

let dir: string;
let browser: Browser;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-lost-refresh-'));
  browser = await launchChromium();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  idp: DemoIdp;
  proxy: LossyProxy;
  refresher: Refresher;
  session: { tokens(): SessionTokens; reseal(tokens: SessionTokens): Promise<void> };
  wipes: () => number;
  signedInRefreshToken: string;
}

/** A demo IdP (with `graceSeconds` of refresh token reuse grace), a proxy in front of it, a signed-in session and its Refresher. */
async function setUp(name: string, graceSeconds: number, retryWindowSeconds: number): Promise<Setup> {
  const idp = await startDemoIdp({ port: 0, dataDir: join(dir, name), refreshReuseGraceSeconds: graceSeconds });
  stops.push(() => idp.stop());
  const proxy = await startLossyProxy(idp.port);
  stops.push(() => proxy.close());
  const tokens = await DemoIdpTokens.start(() => idp, browser);
  stops.push(() => tokens.close());
  const signedIn = await tokens.signIn('tech1');

  let current: SessionTokens = {
    accessToken: signedIn.access_token,
    idToken: signedIn.id_token,
    refreshToken: signedIn.refresh_token,
    tokenType: 'Bearer',
    expiresAt: Math.floor(Date.now() / 1000) + signedIn.expires_in,
  };
  const session = {
    tokens: () => structuredClone(current),
    reseal: async (next: SessionTokens) => {
      current = structuredClone(next);
    },
  };
  let wipes = 0;
  const policy = withDefaults({ issuer: idp.issuer, clientId: idp.clientId, refreshRetryWindowSeconds: retryWindowSeconds });
  const metadata: ProviderMetadata = {
    issuer: idp.issuer,
    authorizationEndpoint: `${idp.issuer}/auth`,
    tokenEndpoint: `${proxy.url}/token`,
    jwksUri: `${idp.issuer}/jwks`,
    issParameterSupported: true,
    source: 'network',
  };
  const refresher = new Refresher({
    policy,
    http: { fetch: (input, init) => fetch(input, init), timeoutMs: 5000 },
    clock: systemClock,
    metadata: async () => metadata,
    signingKeys: {
      keys: () => idp.publicJwks().keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, jwk })),
      syncForUnknownKid: async () => undefined,
    },
    recorder: { recordServerTime: () => undefined, recordCheckIn: () => undefined },
    session,
    wipe: async () => {
      wipes++;
    },
  });
  return { idp, proxy, refresher, session, wipes: () => wipes, signedInRefreshToken: signedIn.refresh_token };
}

const revoked = (error: unknown): boolean => isFieldKeyError(error, 'session_revoked');

describe('a refresh answer lost after the IdP rotated the refresh token', () => {
  it('is retried once with the same refresh token and gets new tokens inside the IdP grace window', async () => {
    const { idp, proxy, refresher, session, wipes, signedInRefreshToken } = await setUp('grace', 30, 30);
    proxy.dropNextAnswers(1);
    const refreshed = await refresher.refresh();
    expect(proxy.dropped()).toBe(1);
    expect(refresher.requests).toBe(2);
    expect(wipes()).toBe(0);
    expect(refreshed.refreshToken).toBeTruthy();
    expect(refreshed.refreshToken).not.toBe(signedInRefreshToken);
    expect(session.tokens()).toEqual(refreshed);

    // The session goes on: the next refresh rotates the token it got from the retry.
    const next = await refresher.refresh();
    expect(next.refreshToken).not.toBe(refreshed.refreshToken);
    expect(refresher.requests).toBe(3);

    // The grace is for the token just rotated, once: the signed-in token, presented again now, is a
    // reuse, which revokes the whole grant (the session's current token too).
    const reused = await postForm(`${idp.issuer}/token`, {
      grant_type: 'refresh_token',
      client_id: idp.clientId,
      refresh_token: signedInRefreshToken,
    });
    expect([reused.status, reused.body.error]).toEqual([400, 'invalid_grant']);
    await expect(refresher.refresh()).rejects.toSatisfy(revoked);
    expect(wipes()).toBe(1);
  });

  it('ends the session (session_revoked) when the IdP has no grace window', async () => {
    const { proxy, refresher, wipes } = await setUp('no-grace', 0, 30);
    proxy.dropNextAnswers(1);
    await expect(refresher.refresh()).rejects.toSatisfy(revoked);
    expect(proxy.dropped()).toBe(1);
    expect(refresher.requests).toBe(2);
    expect(wipes()).toBe(1);
  });

  it('ends the session when the same token comes back after the IdP grace window has passed', async () => {
    const { proxy, refresher, session, wipes, signedInRefreshToken } = await setUp('short-grace', 1, 0);
    proxy.dropNextAnswers(1);
    // No retry window on the laptop: the lost answer is just "offline", and the session keeps its token.
    await expect(refresher.refresh()).rejects.toSatisfy((error) => isFieldKeyError(error, 'offline'));
    expect(refresher.requests).toBe(1);
    expect(session.tokens().refreshToken).toBe(signedInRefreshToken);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(refresher.refresh()).rejects.toSatisfy(revoked);
    expect(wipes()).toBe(1);
  });
});
