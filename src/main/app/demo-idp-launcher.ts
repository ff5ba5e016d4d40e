/**
 * Development convenience (`npm start`, `npm run web`): when no policy is configured, FieldKey runs
 * on the built-in demo policy, whose issuer is the local demo IdP; this starts that IdP in the same
 * process so sign-in works out of the box, and beside it the demo Field API (field-api/), the
 * resource server that accepts the IdP's access tokens. Never used by a packaged app (the shell
 * checks `app.isPackaged`), and only ever for the demo policy: a configured policy always wins.
 */
import { join } from 'node:path';
import { dataDir, type Env } from '../core/environment';
import { loadPolicy } from '../core/policy/load-policy';
// Types only (erased): the modules themselves are imported lazily, and only for the demo policy.
import type { FieldApi } from '../../../field-api/field-api';
import type { DemoIdp } from '../../../idp/demo-idp';

export interface DemoIdpHandle {
  issuer: string;
  /** The demo Field API, `http://127.0.0.1:9021`; undefined when it could not start (the IdP still runs). */
  fieldApiUrl: string | undefined;
  /** Stops the Field API, then the IdP. */
  stop(): Promise<void>;
}

export interface DemoIdpLaunchOptions {
  env: Env;
  platform: NodeJS.Platform;
  log: (line: string) => void;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts the demo IdP and the demo Field API if the policy in effect is the demo policy; undefined
 * otherwise or if the IdP cannot start. Data lives in `demo-idp/` and `demo-field-api/` under the
 * data directory.
 */
export async function startDemoIdpForDemoPolicy({ env, platform, log }: DemoIdpLaunchOptions): Promise<DemoIdpHandle | undefined> {
  let issuer: string;
  let audience: string;
  try {
    const loaded = await loadPolicy({ env, platform });
    if (loaded.source.kind !== 'demo') return undefined;
    ({ issuer, audience } = loaded.policy);
  } catch {
    return undefined; // an unusable policy is the app's to report (misconfigured), not this helper's
  }
  const base = dataDir(env, platform);
  let idp: DemoIdp;
  try {
    const { startDemoIdp } = await import('../../../idp/demo-idp');
    idp = await startDemoIdp({ port: Number(new URL(issuer).port), dataDir: join(base, 'demo-idp'), log });
    log(`demo IdP (development only) at ${idp.issuer}; users: ${idp.users.map((u) => u.username).join(', ')}`);
  } catch (error) {
    log(`demo IdP not started: ${reason(error)}`);
    return undefined;
  }
  let fieldApi: FieldApi | undefined;
  try {
    const { startFieldApi } = await import('../../../field-api/field-api');
    fieldApi = await startFieldApi({ dataDir: join(base, 'demo-field-api'), issuer: idp.issuer, audience, log });
    log(`demo Field API (development only) at ${fieldApi.url}; writing notes needs the ${fieldApi.writeRole} role`);
  } catch (error) {
    log(`demo Field API not started: ${reason(error)}`);
  }
  return {
    issuer: idp.issuer,
    fieldApiUrl: fieldApi?.url,
    async stop() {
      await fieldApi?.stop();
      await idp.stop();
    },
  };
}
