/**
 * The online client against the demo IdP (in this process, on 127.0.0.1), a real SQLite file and a
 * real sealed session in the OS keychain (bench runs inside scripts/with-keyring.sh):
 *
 * - `sign-in-overhead`: the time FieldKey itself spends in one sign-in: discovery, PKCE, the
 *   loopback listener, the authorization URL, the callback, the code exchange, token and ID token
 *   validation, the offline-token check, the JWKS sync, the time records, and sealing the tokens
 *   without the KDF (a re-seal of the unlocked session: AES-256-GCM + the SQLite write). The IdP's
 *   and the browser's time is left out: the browser step is driven with fetch against the IdP's
 *   login form (no browser), and every interval in which FieldKey waited for it (from
 *   `openExternal` until the callback request is sent) or for an HTTP round trip to the IdP
 *   (each call of the injected fetch) is subtracted; overlapping intervals count once.
 * - `refresh`: one refresh round trip as the app sees it: the token request, the IdP's answer,
 *   persisting the rotated refresh token, ID token and access token validation, sealing the new
 *   tokens, the time records. The IdP's time is included here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { startDemoIdp } from '../idp/demo-idp';
import { systemClock } from '../src/main/core/clock';
import { discover } from '../src/main/core/oauth/discovery';
import type { FetchFn } from '../src/main/core/oauth/http-client';
import { JwksSync } from '../src/main/core/oauth/jwks-sync';
import { Refresher } from '../src/main/core/oauth/refresh';
import { startSignIn, type SignInResult } from '../src/main/core/oauth/sign-in';
import { withDefaults } from '../src/main/core/policy/policy-defaults';
import { createKeytarSecretStore } from '../src/main/adapters/keychain/keytar-secret-store';
import { SessionVault } from '../src/main/core/secrets/session-vault';
import { openDatabase } from '../src/main/adapters/sqlite/database';
import { DiscoveryCache } from '../src/main/core/records/discovery-cache';
import { JwksStore } from '../src/main/core/records/jwks-store';
import { TimeRecords } from '../src/main/core/records/time-records';
import { median, type BenchResult } from './harness';

const SIGN_IN_SAMPLES = 21;
const SIGN_IN_WARMUP = 3;
const REFRESH_SAMPLES = 31;
const REFRESH_WARMUP = 5;
const USER = { username: 'tech1', password: 'fieldkey-demo-1' };
/** The bench seals with fast parameters: the KDF is not part of what is measured. */
const FAST_ARGON2 = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

/** Intervals during which FieldKey waited for the IdP or the "browser". */
class WaitLog {
  private intervals: [number, number][] = [];

  begin(): () => void {
    const start = performance.now();
    return () => void this.intervals.push([start, performance.now()]);
  }

  /** Total waiting inside [from, to], overlapping intervals merged. */
  total(from: number, to: number): number {
    const clipped = this.intervals
      .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    let sum = 0;
    let end = -Infinity;
    for (const [a, b] of clipped) {
      if (b <= end) continue;
      sum += b - Math.max(a, end);
      end = b;
    }
    this.intervals = [];
    return sum;
  }
}

/** A minimal cookie jar: enough for oidc-provider's interaction and session cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const expired =
        attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * The "browser": follows the IdP's redirects with its own cookie jar, posts the login form, and
 * stops at the loopback redirect, which it then requests as a browser would (also used by the sync
 * bench to get real tokens without a browser). Returns when the
 * listener answered. `waiting` ends just before the callback request (FieldKey's work starts there).
 */
export async function formLogin(authorizationUrl: string, redirectPrefix: string, waiting: () => void): Promise<void> {
  const jar = new CookieJar();
  const get = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(response);
    return response;
  };
  let url = authorizationUrl;
  let response = await get(url);
  for (let hops = 0; hops < 20; hops++) {
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url).href;
      await response.body?.cancel();
      if (url.startsWith(redirectPrefix)) {
        waiting();
        const callback = await fetch(url);
        await callback.text();
        return;
      }
      response = await get(url);
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action) throw new Error(`unexpected IdP page (HTTP ${response.status})`);
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    response = await get(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(USER).toString(),
    });
  }
  throw new Error('too many redirects at the IdP');
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-bench-online-'));
  const idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp'), alg: 'ES256' });
  const db = openDatabase(join(dir, 'fieldkey.db'));
  const secrets = createKeytarSecretStore({ service: `FieldKey-bench-online-${process.pid}-${randomBytes(4).toString('hex')}` });
  try {
    const clock = systemClock;
    const policy = withDefaults({ issuer: idp.issuer, clientId: idp.clientId, extraScopes: ['profile', 'email'] });
    const waits = new WaitLog();
    const timedFetch: FetchFn = async (input, init) => {
      const done = waits.begin();
      try {
        return await fetch(input, init);
      } finally {
        done();
      }
    };
    const http = { fetch: timedFetch };
    const discoveryCache = new DiscoveryCache(db, clock);
    const timeRecords = new TimeRecords(db);
    const metadata = () => discover({ policy, http, cache: discoveryCache });
    const jwks = new JwksSync({ policy, http, clock, store: new JwksStore(db, clock), jwksUri: async () => (await metadata()).jwksUri });
    const vault = new SessionVault({
      db,
      secrets,
      clock,
      policy,
      argon2: { current: async () => ({ ...FAST_ARGON2 }), peek: () => ({ ...FAST_ARGON2 }) },
    });

    let browser: Promise<void> = Promise.resolve();
    const signIn = () =>
      startSignIn({
        policy,
        http,
        clock,
        discoveryCache,
        jwks,
        recorder: timeRecords,
        openExternal: async (url) => {
          const waiting = waits.begin();
          const redirect = new URL(url).searchParams.get('redirect_uri')!;
          browser = formLogin(url, redirect, waiting);
        },
      }).result;

    // The sealed session the sign-ins are sealed into (created once: that is where the KDF runs).
    const first = await signIn();
    await browser;
    vault.addAccount(first.identity);
    const session = await vault.createSession(first.accountId, '482915', first.tokens);

    const overheads: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < SIGN_IN_WARMUP + SIGN_IN_SAMPLES; i++) {
      const start = performance.now();
      const result: SignInResult = await signIn();
      await session.reseal(result.tokens); // sealing without the KDF
      const end = performance.now();
      await browser;
      const own = end - start - waits.total(start, end);
      if (i >= SIGN_IN_WARMUP) {
        overheads.push(own);
        walls.push(end - start);
      }
    }

    const refresher = new Refresher({
      policy,
      http,
      clock,
      metadata,
      signingKeys: jwks,
      recorder: timeRecords,
      session,
      wipe: () => vault.wipeSession(session.accountId),
    });
    const refreshes: number[] = [];
    for (let i = 0; i < REFRESH_WARMUP + REFRESH_SAMPLES; i++) {
      const start = performance.now();
      await refresher.refresh();
      const elapsed = performance.now() - start;
      if (i >= REFRESH_WARMUP) refreshes.push(elapsed);
    }
    waits.total(0, Infinity);
    vault.lockAll();

    return [
      {
        name: 'sign-in-overhead',
        median: median(overheads),
        unit: 'ms',
        note:
          `FieldKey's own time in one sign-in against the demo IdP (ES256), median of ${SIGN_IN_SAMPLES}: wall time of sign-in + a re-seal of the ` +
          'tokens (AES-256-GCM + SQLite, no KDF), minus every interval spent waiting for the IdP (each fetch round trip) or the browser ' +
          '(from openExternal until the callback request; the login form is driven with fetch, no browser), overlaps counted once. ' +
          `The whole sign-in took ${median(walls).toFixed(1)} ms (median) including the IdP.`,
      },
      {
        name: 'refresh',
        median: median(refreshes),
        unit: 'ms',
        note: `One refresh round trip against the demo IdP on 127.0.0.1 (ES256), median of ${REFRESH_SAMPLES}, IdP time included: token request, persisting the rotated refresh token (re-seal), ID token and access token validation, sealing the new tokens, time records.`,
      },
    ];
  } finally {
    if (db.open) db.close();
    await idp.stop();
    for (const entry of await secrets.list()) await secrets.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  }
}
