/**
 * Development convenience (`npm start`, `npm run web`): when no policy is configured, FieldKey runs
 * on the built-in demo policy, whose issuer is the local demo IdP; this starts that IdP in the same
 * process so sign-in works out of the box. Never used by a packaged app (the shell checks
 * `app.isPackaged`), and only ever for the demo policy: a configured policy always wins.
 */
import { join } from 'node:path';
import { dataDir, type Env } from '../environment';
import { loadPolicy } from '../policy/load-policy';

export interface DemoIdpHandle {
  issuer: string;
  stop(): Promise<void>;
}

export interface DemoIdpLaunchOptions {
  env: Env;
  platform: NodeJS.Platform;
  log: (line: string) => void;
}

/** Starts the demo IdP if the policy in effect is the demo policy; undefined otherwise or if it cannot start. */
export async function startDemoIdpForDemoPolicy({ env, platform, log }: DemoIdpLaunchOptions): Promise<DemoIdpHandle | undefined> {
  let issuer: string;
  try {
    const loaded = await loadPolicy({ env, platform });
    if (loaded.source.kind !== 'demo') return undefined;
    issuer = loaded.policy.issuer;
  } catch {
    return undefined; // an unusable policy is the app's to report (misconfigured), not this helper's
  }
  try {
    const { startDemoIdp } = await import('../../../idp/demo-idp');
    const idp = await startDemoIdp({ port: Number(new URL(issuer).port), dataDir: join(dataDir(env, platform), 'demo-idp'), log });
    log(`demo IdP (development only) at ${idp.issuer}; users: ${idp.users.map((u) => u.username).join(', ')}`);
    return { issuer: idp.issuer, stop: () => idp.stop() };
  } catch (error) {
    log(`demo IdP not started: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
