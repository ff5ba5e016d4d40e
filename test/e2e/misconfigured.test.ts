/**
 * An invalid IT policy fails closed, end to end: the web host starts, the page says FieldKey is not
 * set up and what IT must fix (each bad field by name), and no sign-in can start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eEnvironment } from './helpers/e2e-environment';
import { button, callApi, screenshot, waitForStatus } from './helpers/app-page';

const env = new E2eEnvironment();

beforeAll(async () => {
  await env.start();
  env.writePolicy({
    issuer: env.idp.issuer,
    clientId: 'fieldkey-desktop',
    gracePeriodHours: -1,
    pin: { minLength: 2 },
    allowedAlgorithms: ['HS256'],
  });
  await env.startHost();
}, 180_000);

afterAll(async () => {
  await env.stop();
});

describe('an invalid policy', () => {
  it('shows what IT must fix and offers no sign-in', async () => {
    const page = env.page;
    await waitForStatus(page, 'Not set up');
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('Contact IT');
    for (const field of ['gracePeriodHours', 'pin.minLength', 'allowedAlgorithms']) expect(main).toContain(field);
    expect(main).toContain(env.policyFile);
    expect(await button(page, 'Sign in').count()).toBe(0);
    expect(await callApi(page, 'signIn')).toMatchObject({ ok: false });
    await screenshot(page, 'misconfigured');
  });
});
