import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PORT as FIELD_API_PORT } from '../../../field-api/field-api';
import { startDemoIdpForDemoPolicy, type DemoIdpHandle } from '../../../src/main/app/demo-idp-launcher';
import { loadPolicy } from '../../../src/main/core/policy/load-policy';

/**
 * The development launcher on the built-in demo policy: the demo IdP on the policy's issuer port
 * (9011) and the demo Field API beside it (9021), both real, data under the data directory.
 * These fixed ports are the demo policy's; no other test uses them.
 */

const dirs: string[] = [];
const handles: DemoIdpHandle[] = [];
const blockers: Server[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop();
  for (const blocker of blockers.splice(0)) await new Promise<void>((resolve) => blocker.close(() => resolve()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fieldkey-launcher-'));
  dirs.push(dir);
  return dir;
}

async function launch(env: Record<string, string>): Promise<{ handle: DemoIdpHandle | undefined; log: string[] }> {
  const log: string[] = [];
  const handle = await startDemoIdpForDemoPolicy({ env, platform: 'linux', log: (line) => log.push(line) });
  if (handle) handles.push(handle);
  return { handle, log };
}

describe('startDemoIdpForDemoPolicy', () => {
  it('starts the demo IdP and the Field API against it, and stops both', async () => {
    const dir = tempDir();
    const { handle, log } = await launch({ FIELDKEY_DATA_DIR: dir });
    expect(handle?.issuer).toBe('http://127.0.0.1:9011');
    expect(handle?.fieldApiUrl).toBe(`http://127.0.0.1:${FIELD_API_PORT}`);
    expect(log).toContain(
      `demo Field API (development only) at http://127.0.0.1:${FIELD_API_PORT}; writing notes needs the technician role`,
    );

    const discovery = await fetch(`${handle?.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const refused = await fetch(`${handle?.fieldApiUrl}/v1/notes`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    await handle?.stop();
    await expect(fetch(`${handle?.fieldApiUrl}/v1/notes`)).rejects.toThrow();
    await expect(fetch(`${handle?.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
    expect(existsSync(join(dir, 'demo-field-api', 'field-api.sqlite'))).toBe(true);
    expect(existsSync(join(dir, 'demo-idp', 'idp.sqlite'))).toBe(true);
  });

  it('keeps the IdP running and says why when the Field API port is taken', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(FIELD_API_PORT, '127.0.0.1', resolve));
    const { handle, log } = await launch({ FIELDKEY_DATA_DIR: tempDir() });
    expect(handle?.fieldApiUrl).toBeUndefined();
    expect(log.some((line) => line.startsWith(`demo Field API not started: port ${FIELD_API_PORT} on 127.0.0.1 is already in use`))).toBe(
      true,
    );
    expect((await fetch(`${handle?.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('starts nothing when a policy is configured', async () => {
    const dir = tempDir();
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ issuer: 'https://login.example.com', clientId: 'fieldkey-desktop' }));
    const env = { FIELDKEY_DATA_DIR: dir, FIELDKEY_POLICY: policyFile };
    expect((await loadPolicy({ env, platform: 'linux' })).source.kind).toBe('env');
    const { handle, log } = await launch(env);
    expect(handle).toBeUndefined();
    expect(log).toEqual([]);
  });
});
