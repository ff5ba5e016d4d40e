/**
 * The OAuth client end to end with real parts: the demo IdP (oidc-provider) on 127.0.0.1 with its
 * SQLite store, headless Debian Chromium as the system browser on the IdP's login form, a real
 * SQLite database, and sealed sessions in the real Secret Service (run under scripts/with-keyring.sh).
 *
 * The steps build on each other, in order: sign in, refresh twice, key rotation, IdP down and back,
 * reuse of a rotated refresh token, sign-out while offline, and a forged callback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { launchChromium, signInThroughBrowser, type BrowserSignInResult } from '../../../helpers/browser-sign-in';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import type { Clock } from '../../../../src/main/core/clock';
import { cachedMetadata, discover } from '../../../../src/main/core/oauth/discovery';
import type { FetchFn } from '../../../../src/main/core/oauth/http-client';
import { JwksSync } from '../../../../src/main/core/oauth/jwks-sync';
import { Refresher } from '../../../../src/main/core/oauth/refresh';
import { REVOCATION_ENTRY_PREFIX, RevocationQueue } from '../../../../src/main/core/oauth/revocation-queue';
import { startSignIn, type SignInResult } from '../../../../src/main/core/oauth/sign-in';
import { flushRevocations, signOut, type SignOutDeps } from '../../../../src/main/core/oauth/sign-out';
import { verifyOffline } from '../../../../src/main/core/offline/verify-offline';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { Policy } from '../../../../src/main/core/policy/policy-types';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { SessionVault } from '../../../../src/main/core/secrets/session-vault';
import type { UnlockedSession } from '../../../../src/main/core/secrets/unlocked-session';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { DiscoveryCache } from '../../../../src/main/core/records/discovery-cache';
import { JwksStore } from '../../../../src/main/core/records/jwks-store';
import { TimeRecords } from '../../../../src/main/core/records/time-records';

const PIN = '482915';
const USER = { username: 'tech1', password: 'fieldkey-demo-1', sub: '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a01' };
/** Below the OWASP floor on purpose, to keep the test fast; only tests may use it. */
const FAST_ARGON2 = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

/** The real clock, plus an offset the test moves forward (the JWKS unknown-kid rate limit). */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

let dir: string;
let idpDir: string;
let idp: DemoIdp;
let idpPort: number;
let browser: Browser;
let db: Database;
let secrets: SecretStore;
let clock: OffsetClock;
let policy: Policy;
let discoveryCache: DiscoveryCache;
let jwksStore: JwksStore;
let timeRecords: TimeRecords;
let jwks: JwksSync;
let vault: SessionVault;
let queue: RevocationQueue;
const fetchFn: FetchFn = (input, init) => fetch(input, init);
const http = { fetch: fetchFn, timeoutMs: 5000 };

const metadata = () => discover({ policy, http, cache: discoveryCache });

async function startIdp(): Promise<void> {
  idp = await startDemoIdp({ port: idpPort, dataDir: idpDir, accessTokenTtlSeconds: 600, alg: 'ES256' });
  idpPort = idp.port;
}

/** A sign-in through Chromium; `beforeBrowser` runs at the listener before the browser gets the URL. */
async function signInWithBrowser(beforeBrowser?: (authorizationUrl: URL) => Promise<void>) {
  let browserDone: Promise<BrowserSignInResult> | undefined;
  const pending = startSignIn({
    policy,
    http,
    clock,
    discoveryCache,
    jwks,
    recorder: timeRecords,
    openExternal: async (url) => {
      await beforeBrowser?.(new URL(url));
      browserDone = signInThroughBrowser({ browser, authorizationUrl: url, username: USER.username, password: USER.password });
    },
  });
  const result = await pending.result;
  const page = await browserDone!;
  return { result, page, refused: pending.refused() };
}

async function seal(result: SignInResult): Promise<UnlockedSession> {
  vault.addAccount(result.identity);
  return vault.createSession(result.accountId, PIN, result.tokens);
}

function refresherFor(session: UnlockedSession): Refresher {
  return new Refresher({
    policy,
    http,
    clock,
    metadata,
    signingKeys: jwks,
    recorder: timeRecords,
    session,
    wipe: () => vault.wipeSession(session.accountId),
  });
}

/** A refresh as another client holding `refreshToken` would send it (the attacker, or a check). */
async function rawRefresh(refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: policy.clientId }).toString(),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error ? { error: body.error } : {}) };
}

function decide(token: string, accountId: string) {
  return verifyOffline(token, jwksStore.keysFor(policy.issuer), policy, {
    now: clock.now(),
    lastServerTime: timeRecords.lastServerTime()?.serverTime,
    highWater: timeRecords.raiseHighWater(clock.now()),
    lastCheckIn: timeRecords.lastCheckIn(accountId)?.at,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-online-'));
  idpDir = join(dir, 'idp');
  idpPort = 0;
  await startIdp();
  browser = await launchChromium();
  clock = new OffsetClock();
  policy = withDefaults({ issuer: idp.issuer, clientId: idp.clientId, audience: idp.clientId, extraScopes: ['profile', 'email'] });
  db = openDatabase(join(dir, 'fieldkey.db'));
  secrets = createKeytarSecretStore({ service: `FieldKey-test-oauth-${process.pid}-${randomBytes(4).toString('hex')}` });
  discoveryCache = new DiscoveryCache(db, clock);
  jwksStore = new JwksStore(db, clock);
  timeRecords = new TimeRecords(db);
  jwks = new JwksSync({ policy, http, clock, store: jwksStore, jwksUri: async () => (await metadata()).jwksUri });
  vault = new SessionVault({
    db,
    secrets,
    clock,
    policy,
    argon2: { current: async () => ({ ...FAST_ARGON2 }), peek: () => ({ ...FAST_ARGON2 }) },
  });
  queue = new RevocationQueue(secrets, clock);
});

afterAll(async () => {
  vault?.lockAll();
  await browser?.close();
  await idp?.stop();
  if (db?.open) db.close();
  for (const entry of (await secrets?.list()) ?? []) await secrets.delete(entry);
  rmSync(dir, { recursive: true, force: true });
});

describe('online session against the demo IdP', () => {
  let session: UnlockedSession;
  let accountId: string;
  const spentRefreshTokens: string[] = [];

  it('signs in through the system browser and seals validated tokens', async () => {
    const { result, page } = await signInWithBrowser();
    expect(page.loginFormShown).toBe(true);
    expect(page.status).toBe(200);
    accountId = result.accountId;
    expect(accountId).toBe(accountIdFor(idp.issuer, USER.sub));
    expect(result.identity).toMatchObject({
      issuer: idp.issuer,
      subject: USER.sub,
      displayName: 'Tess Technician',
      email: 'tech1@fieldkey.invalid',
    });
    expect(result.tokens.refreshToken).toBeTruthy();
    expect(decodeJwt(result.tokens.accessToken!)).toMatchObject({ iss: idp.issuer, aud: idp.clientId, sub: USER.sub });

    session = await seal(result);
    vault.lock(accountId);
    session = await vault.unlock(accountId, PIN);
    expect(session.tokens()).toEqual(result.tokens);

    // Recorded on the way: discovery, the JWKS, the server time and a check-in.
    expect(cachedMetadata({ policy, cache: discoveryCache })).toMatchObject({ source: 'cache', issuer: idp.issuer });
    expect(jwksStore.keysFor(idp.issuer).map((k) => k.kid)).toContain(idp.currentKid());
    expect(timeRecords.lastCheckIn(accountId)).toBeDefined();
    expect(Math.abs(timeRecords.lastServerTime()!.serverTime.getTime() - Date.now())).toBeLessThan(10_000);
    expect(await decide(session.tokens().accessToken!, accountId)).toMatchObject({ decision: 'full', reason: 'valid', sub: USER.sub });
  });

  it('refreshes twice, sealing each rotated refresh token', async () => {
    for (let i = 0; i < 2; i++) {
      const before = session.tokens();
      const after = await refresherFor(session).refresh();
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(after.accessToken).not.toBe(before.accessToken);
      spentRefreshTokens.push(before.refreshToken!);
      // What is sealed on disk is the rotated set: lock and unlock with the PIN to read it back.
      vault.lock(accountId);
      session = await vault.unlock(accountId, PIN);
      expect(session.tokens()).toEqual(after);
    }
    expect(spentRefreshTokens).toHaveLength(2);
  });

  it('shares one refresh among concurrent callers', async () => {
    const refresher = refresherFor(session);
    const before = session.tokens().refreshToken!;
    const results = await Promise.all(Array.from({ length: 10 }, () => refresher.refresh()));
    expect(refresher.requests).toBe(1);
    expect(new Set(results.map((t) => t.refreshToken)).size).toBe(1);
    spentRefreshTokens.push(before);
  });

  it('follows a signing-key rotation at the IdP with exactly one JWKS fetch', async () => {
    const oldKid = decodeProtectedHeader(session.tokens().accessToken!).kid;
    const { kid } = await idp.rotateSigningKey();
    expect(kid).not.toBe(oldKid);
    clock.offsetMs += 31_000; // past the unknown-kid rate limit since the sign-in's fetch
    const requestsBefore = jwks.requests;
    const before = session.tokens().refreshToken!;
    const refreshed = await refresherFor(session).refresh();
    spentRefreshTokens.push(before);
    expect(decodeProtectedHeader(refreshed.accessToken!).kid).toBe(kid);
    expect(jwks.requests - requestsBefore).toBe(1);
    expect(jwksStore.keysFor(idp.issuer).map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, kid]));
    expect(await decide(refreshed.accessToken!, accountId)).toMatchObject({ decision: 'full', kid });
  });

  it('keeps deciding offline from the cache while the IdP is stopped, and a refresh is not a revocation', async () => {
    await idp.stop();
    const refresher = refresherFor(session);
    await expect(refresher.refresh()).rejects.toMatchObject({ code: 'offline' });
    expect(vault.hasSession(accountId)).toBe(true);
    expect(cachedMetadata({ policy, cache: discoveryCache })?.tokenEndpoint).toBe(`${idp.issuer}/token`);
    expect((await jwks.sync()).outcome).toBe('network_error');
    expect(await decide(session.tokens().accessToken!, accountId)).toMatchObject({ decision: 'full', reason: 'valid' });

    await startIdp(); // same port and data: grants and refresh tokens survive, as at a real IdP
    const before = session.tokens().refreshToken!;
    await refresher.refresh();
    spentRefreshTokens.push(before);
  });

  it('wipes the session with session_revoked when a rotated refresh token is reused', async () => {
    // Someone replays a refresh token FieldKey already rotated: the IdP revokes the whole grant.
    expect(await rawRefresh(spentRefreshTokens[0]!)).toEqual({ status: 400, error: 'invalid_grant' });
    const refresher = refresherFor(session);
    await expect(refresher.refresh()).rejects.toMatchObject({ code: 'session_revoked' });
    expect(vault.hasSession(accountId)).toBe(false);
    expect(vault.getAccount(accountId)).toMatchObject({ hasSession: false });
    expect(session.isLocked).toBe(true);
  });

  it('queues a sign-out made offline and sends the revocation on reconnect', async () => {
    const { result } = await signInWithBrowser();
    session = await seal(result);
    const refreshToken = session.tokens().refreshToken!;
    const deps: SignOutDeps = { policy, http, metadata, queue };

    await idp.stop();
    expect(await signOut(deps, { refreshToken, wipe: () => vault.wipeSession(accountId) })).toBe('queued');
    expect(vault.hasSession(accountId)).toBe(false);
    const entries = (await secrets.list()).filter((e) => e.startsWith(REVOCATION_ENTRY_PREFIX));
    expect(entries).toHaveLength(1);

    await startIdp();
    expect(await flushRevocations(deps)).toEqual({ sent: 1, dropped: 0, kept: 0 });
    expect((await secrets.list()).filter((e) => e.startsWith(REVOCATION_ENTRY_PREFIX))).toEqual([]);
    expect(await rawRefresh(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('revokes at once when online', async () => {
    const { result } = await signInWithBrowser();
    session = await seal(result);
    const refreshToken = session.tokens().refreshToken!;
    expect(await signOut({ policy, http, metadata, queue }, { refreshToken, wipe: () => vault.wipeSession(accountId) })).toBe('revoked');
    expect(await rawRefresh(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('refuses forged callbacks (wrong state, wrong iss, stray paths, POST) and still completes the real sign-in', async () => {
    const statuses: number[] = [];
    const { result, page, refused } = await signInWithBrowser(async (url) => {
      const redirectUri = url.searchParams.get('redirect_uri')!;
      const state = url.searchParams.get('state')!;
      const hit = async (target: string, init?: RequestInit) => statuses.push((await fetch(target, init)).status);
      await hit(`${redirectUri}?code=forged&state=wrong&iss=${encodeURIComponent(idp.issuer)}`);
      await hit(`${redirectUri}?code=forged&state=${state}&iss=${encodeURIComponent('http://127.0.0.1:1')}`);
      await hit(`${redirectUri}?code=forged&state=${state}`); // the IdP advertises iss: it must be there
      await hit(`${redirectUri.replace('/callback', '/')}?code=forged&state=${state}`);
      await hit(`${redirectUri}?code=forged&state=${state}&iss=${encodeURIComponent(idp.issuer)}`, { method: 'POST' });
    });
    expect(statuses).toEqual([400, 400, 400, 404, 405]);
    expect(refused).toMatchObject({ state: 1, iss: 2, path: 1, method: 1 });
    expect(page.status).toBe(200);
    expect(result.identity.subject).toBe(USER.sub);
  });
});
