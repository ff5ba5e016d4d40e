/**
 * The set-up the sync integration tests share: the auth service harness (demo IdP, Chromium,
 * SQLite file, Secret Service) restarted with a policy that points at a demo Field API of its own.
 */
import type { Browser } from 'playwright-core';
import { startFieldApi, type FieldApi } from '../../../../field-api/field-api';
import type { AppState, UnlockedState } from '../../../../src/shared/app-state';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { FieldApiClient } from '../../../../src/main/core/sync/api-client';
import { launchChromium } from '../../../helpers/browser-sign-in';
import { demoIdpPolicy } from '../../../helpers/test-policy';
import { ServiceHarness, SKEW_SECONDS } from '../auth/service-harness';

export const PIN = '482915';
const TESS_SUB = '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a01';

export interface ServiceWithFieldApi {
  browser: Browser;
  h: ServiceHarness;
  api: FieldApi;
  /** The account id of the demo user `tech1` (Tess). */
  tess: string;
}

export async function startServiceWithFieldApi(): Promise<ServiceWithFieldApi> {
  const browser = await launchChromium();
  const h = new ServiceHarness({ browser });
  await h.start();
  const api = await startFieldApi({ port: 0, dataDir: `${h.dir}/api`, issuer: h.idp.issuer });
  await h.service.dispose();
  h.writePolicy(demoIdpPolicy(h.idp, SKEW_SECONDS, { api: { baseUrl: api.url } }));
  await h.startService();
  return { browser, h, api, tess: accountIdFor(h.idp.issuer, TESS_SUB) };
}

export async function stopServiceWithFieldApi(parts: Partial<ServiceWithFieldApi>): Promise<void> {
  await parts.h?.stop();
  await parts.api?.stop();
  await parts.browser?.close();
}

export const unlocked = (s: AppState): s is UnlockedState => s.status === 'unlocked';

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Field API client with the unlocked account's session, as the app's. */
export function apiClient(h: ServiceHarness, account: string): FieldApiClient {
  const connection = h.service.apiCredentials(account)!;
  return new FieldApiClient({ baseUrl: connection.baseUrl, fetch, credentials: connection.credentials!, clock: h.clock });
}
