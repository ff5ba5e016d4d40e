/**
 * FusionAuth sign-out end to end with real parts: the demo IdP configured as FusionAuth publishes
 * discovery (no RFC 7009 `revocation_endpoint`) and serves FusionAuth's Logout API shape
 * (`POST /api/logout`, JSON `{ "refreshToken": ... }`); a real sign-in through headless Chromium;
 * the offline queue in the real Secret Service (run under scripts/with-keyring.sh). After sign-out,
 * now or through the queue after an outage, the IdP refuses the refresh token; a token that was not
 * signed out keeps working.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { systemClock } from '../../../../src/main/core/clock';
import { discover, type DiscoveryCache } from '../../../../src/main/core/oauth/discovery';
import { REVOCATION_ENTRY_PREFIX, RevocationQueue } from '../../../../src/main/core/oauth/revocation-queue';
import { flushRevocations, signOut, type SignOutDeps } from '../../../../src/main/core/oauth/sign-out';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { launchChromium } from '../../../helpers/browser-sign-in';
import { DemoIdpTokens } from '../../../helpers/demo-idp-tokens';

let dir: string;
let idp: DemoIdp;
let idpPort = 0;
let browser: Browser;
let tokens: DemoIdpTokens;
let secrets: SecretStore;
let deps: SignOutDeps;
const wipes: string[] = [];

/** The discovery cache in memory: enough for sign-out to know the endpoints while the IdP is down. */
function memoryCache(): DiscoveryCache {
  const documents = new Map<string, Record<string, unknown>>();
  return {
    save: (issuer, document) => void documents.set(issuer, document),
    load: (issuer) => (documents.has(issuer) ? { document: documents.get(issuer)! } : undefined),
  };
}

async function startIdp(): Promise<void> {
  idp = await startDemoIdp({ port: idpPort, dataDir: join(dir, 'idp'), revocationEndpoint: false });
  idpPort = idp.port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-fa-signout-'));
  await startIdp();
  browser = await launchChromium();
  tokens = await DemoIdpTokens.start(() => idp, browser);
  secrets = createKeytarSecretStore({ service: `FieldKey-test-fa-${process.pid}-${randomBytes(4).toString('hex')}` });
  const policy = withDefaults({ issuer: idp.issuer, clientId: idp.clientId, idp: 'fusionauth' });
  const http = { fetch: (input: string, init?: RequestInit) => fetch(input, init), timeoutMs: 5000 };
  const cache = memoryCache();
  deps = { policy, http, metadata: () => discover({ policy, http, cache }), queue: new RevocationQueue(secrets, systemClock) };
}, 60_000);

afterAll(async () => {
  await tokens?.close();
  await browser?.close();
  await idp?.stop();
  for (const entry of (await secrets?.list()) ?? []) await secrets.delete(entry);
  rmSync(dir, { recursive: true, force: true });
});

const refreshRefused = (refreshToken: string) =>
  tokens.refresh(refreshToken).then(
    () => 'accepted',
    (error: Error) => error.message,
  );

describe('FusionAuth sign-out against the demo IdP', () => {
  it("discovery has no revocation endpoint, and the Logout API answers FusionAuth's way", async () => {
    expect((await deps.metadata()).revocationEndpoint).toBeUndefined();
    const blank = await fetch(`${idp.issuer}/api/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(blank.status).toBe(400);
    expect(await blank.json()).toEqual({
      fieldErrors: { refreshToken: [{ code: '[blank]refreshToken', message: 'You must specify the refreshToken.' }] },
    });
    const unknown = await fetch(`${idp.issuer}/api/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: 'not-a-token' }),
    });
    expect(unknown.status).toBe(200);
  });

  it('signing out revokes the refresh token at once; another session keeps working', async () => {
    const signedOut = await tokens.signIn('tech1');
    const kept = await tokens.signIn('tech1');
    expect(await signOut(deps, { refreshToken: signedOut.refresh_token, wipe: async () => void wipes.push('now') })).toBe('revoked');
    expect(wipes).toEqual(['now']);
    expect(await refreshRefused(signedOut.refresh_token)).toBe('token endpoint answered 400 invalid_grant');
    expect(await refreshRefused(kept.refresh_token)).toBe('accepted');
  }, 60_000);

  it('signed out while the IdP is down: queued in the keychain, sent through the Logout API when it is back', async () => {
    const session = await tokens.signIn('tech1');
    await idp.stop();
    expect(await signOut(deps, { refreshToken: session.refresh_token, wipe: async () => void wipes.push('offline') })).toBe('queued');
    expect(wipes.at(-1)).toBe('offline');
    expect((await secrets.list()).filter((entry) => entry.startsWith(REVOCATION_ENTRY_PREFIX))).toHaveLength(1);
    expect(await flushRevocations(deps)).toEqual({ sent: 0, dropped: 0, kept: 1 });

    await startIdp();
    expect(await flushRevocations(deps)).toEqual({ sent: 1, dropped: 0, kept: 0 });
    expect(await secrets.list()).toEqual([]);
    expect(await refreshRefused(session.refresh_token)).toBe('token endpoint answered 400 invalid_grant');
  }, 60_000);
});
