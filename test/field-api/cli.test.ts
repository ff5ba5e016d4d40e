import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../idp/demo-idp';
import { killTsxChildren, runTsx, until } from '../helpers/tsx-process';

/** `npm run api` as a real child process against a demo IdP: flags, banner, refusals, clean SIGTERM stop. */

let dir: string;
let idp: DemoIdp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-field-api-cli-'));
  idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp') });
});

afterEach(() => killTsxChildren());

afterAll(async () => {
  await idp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runTsx('field-api/cli.ts', args);

describe('npm run api', () => {
  it('starts with the given issuer, audience, write role and data dir, and stops on SIGTERM', async () => {
    const api = run([
      '--port',
      '0',
      '--issuer',
      idp.issuer,
      '--audience',
      'fieldkey-desktop',
      '--write-role',
      'editor',
      '--data-dir',
      join(dir, 'api'),
      '--log',
    ]);
    const url = await until(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(api.stdout())?.[1]);
    expect(api.stdout()).toContain(`iss ${idp.issuer}, aud fieldkey-desktop, keys from the issuer's discovery document`);
    expect(api.stdout()).toContain('writes need   the editor role');
    expect(api.stdout()).toContain(`data dir      ${join(dir, 'api')}`);

    const refused = await fetch(`${url}/v1/notes`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(refused.status).toBe(401);
    await until(() => (api.stderr().includes('GET /v1/notes 401') ? true : undefined));
    expect(api.stderr()).toContain('refused a token: the token is not a well-formed signed JWT');
    expect(api.stderr()).not.toContain('a.b.c');

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });

  it.each([
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--jwks-url', 'file:///etc/passwd'], /--jwks-url must be an http\(s\) URL/],
    [['--issuer', 'acme.com'], /--issuer must be an http\(s\) URL/],
    [['--write-role', ''], /--write-role must not be empty/],
    [['--bogus'], /Unknown option/],
  ])('refuses %j with usage and exit code 2', async (args, message) => {
    const api = run(args);
    expect(await api.exited).toBe(2);
    expect(api.stderr()).toMatch(message);
    expect(api.stderr()).toContain('Usage: npm run api');
  });

  it('accepts a bare-name issuer when the JWKS URL is given', async () => {
    const api = run(['--port', '0', '--issuer', 'acme.com', '--jwks-url', `${idp.issuer}/jwks`, '--data-dir', join(dir, 'bare')]);
    await until(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(api.stdout())?.[1]);
    expect(api.stdout()).toContain(`iss acme.com, aud fieldkey-desktop, keys from ${idp.issuer}/jwks`);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
