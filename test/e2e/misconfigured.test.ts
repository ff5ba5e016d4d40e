/**
 * An invalid IT policy fails closed, end to end: the web host starts, the page says FieldKey is not
 * set up and what IT must fix (each bad field by name), and no sign-in can start. A damaged database
 * gets the same screen with the doctor's diagnosis of the file, and the file is left as it was.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('a damaged database', () => {
  const damaged = new E2eEnvironment();
  const garbage = randomBytes(64 * 1024);

  beforeAll(async () => {
    await damaged.start();
    await damaged.stopHost();
    // Not a database at all: what a disk error or a half-copied file leaves behind.
    for (const suffix of ['-wal', '-shm']) rmSync(join(damaged.dataDir, `fieldkey.db${suffix}`), { force: true });
    writeFileSync(join(damaged.dataDir, 'fieldkey.db'), garbage);
    await damaged.startHost();
  }, 180_000);

  afterAll(async () => {
    await damaged.stop();
  });

  it("shows the doctor's diagnosis with its code, and keeps the file", async () => {
    const page = damaged.page;
    await waitForStatus(page, 'Not set up');
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('database_corrupt');
    expect(main).toContain(join(damaged.dataDir, 'fieldkey.db'));
    expect(main).toMatch(/Keep a copy for IT/);
    expect(main).toContain('fieldkey doctor');
    expect(await button(page, 'Sign in').count()).toBe(0);
    expect(await callApi(page, 'signIn')).toMatchObject({ ok: false, error: { code: 'app_unavailable' } });
    expect(readFileSync(join(damaged.dataDir, 'fieldkey.db')).equals(garbage)).toBe(true);
    await screenshot(page, 'misconfigured-storage');
  });
});
