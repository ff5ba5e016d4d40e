/**
 * Back to work within seconds, end to end through the development web host with the demo IdP, the
 * real keychain and libfaketime: after an outage the app finds the IdP again and checks in without
 * a click, and a wall clock that jumps past `exp` while unlocked and online (what a suspend and
 * resume does) starts a refresh at once instead of at a timer armed long ago. The IdP runs in its
 * own process on the app's clock (helpers/idp-process.ts): after a resume the server's clock has
 * moved on too.
 *
 * The outage lasts 25 s: the probe's backoff reaches its cap (2, 4, 8, then every 8 s) after 14 s,
 * so any longer outage runs the same schedule; test/main/core/auth/network-watch.test.ts replays a
 * six-minute outage on fake timers.
 */
import { describe, expect, it } from 'vitest';
import { E2eEnvironment, ACCESS_TOKEN_TTL_SECONDS, useE2eEnvironment } from './helpers/e2e-environment';
import { IdpProcess } from './helpers/idp-process';
import {
  button,
  lastCheckIn,
  setPin,
  signInWithBrowser,
  statusText,
  unlock,
  waitForCheckInAfter,
  waitForStatus,
  waitUntil,
} from './helpers/app-page';

const PIN = '730164';
const env = new E2eEnvironment((port, dataDir, clockFile) =>
  IdpProcess.start({ port, dataDir, clockFile, accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS }),
);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

useE2eEnvironment(env);

describe('reconnecting and waking up', () => {
  it('signs in and opens with full access, online', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForStatus(page, 'online');
    await waitForCheckInAfter(page, null);
  });

  it('after an outage, full access online returns within 10 s of the IdP coming back, without a click', async () => {
    const page = env.page;
    const before = await lastCheckIn(page);
    await env.stopIdp();
    // An unlock while the IdP is down tries a refresh at once and finds it unreachable.
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'offline');
    expect(await statusText(page)).toMatch(/^Full access until /);
    await sleep(25_000);
    expect(await statusText(page)).toContain('offline');

    await env.startIdp();
    const back = Date.now();
    await waitForStatus(page, 'online', 10_000);
    await waitForCheckInAfter(page, before);
    const elapsed = Date.now() - back;
    expect(elapsed).toBeLessThan(10_000);
    expect(await statusText(page)).toMatch(/^Full access until .*, online$/);
  });

  it('a wall clock that jumps 400 s past exp while unlocked and online starts a refresh within 10 s', async () => {
    const page = env.page;
    const before = await lastCheckIn(page);
    env.setClock(`+${ACCESS_TOKEN_TTL_SECONDS + 400}`);
    const jumped = Date.now();
    await waitUntil(
      () => lastCheckIn(page),
      (at) => at !== null && before !== null && Date.parse(at) > Date.parse(before),
      'a check-in after the jump',
      10_000,
    );
    expect(Date.now() - jumped).toBeLessThan(10_000);
    // The IdP's clock moved with the app's: the new token is valid, full access online.
    await waitUntil(
      () => statusText(page),
      (s) => /^Full access until .*, online$/.test(s),
      'full access, online',
    );
  });
});
