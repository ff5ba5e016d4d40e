import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli-run';
import { main } from '../../../src/main/cli/index';
import { createPolicyCommand } from '../../../src/main/cli/policy-command';
import type { Command } from '../../../src/main/cli/cli-io';
import type { Env } from '../../../src/main/core/environment';
import type { MachinePolicySource } from '../../../src/main/core/policy/machine-policy-source';
import { fakePolicyFs } from '../core/policy/fake-policy-fs';

const fixtures = join(import.meta.dirname, '../../fixtures/policy');
const dir = mkdtempSync(join(tmpdir(), 'fieldkey-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Env = {}, command?: Command): Promise<CliRun> {
  return command ? runCli(command, args, { env }) : runCli(main, ['policy', ...args], { env });
}

describe('fieldkey policy check FILE', () => {
  it('prints a one-line summary and exits 0 for a valid file', async () => {
    const file = join(fixtures, 'fusionauth.json');
    const result = await run(['check', file]);
    expect(result).toEqual({
      code: 0,
      stdout: `policy OK: issuer acme.com, client e9fdb985-9173-4e01-9d73-ac2d60d1dc8e, source file ${file}, grace 24h, read-only until check-in, check-in 7d, algorithms RS256,ES256\n`,
      stderr: '',
    });
  });

  it('mentions a bundled jwks.json beside the file', async () => {
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ issuer: 'https://auth.acme.com', clientId: 'c', checkInIntervalDays: 3 }));
    writeFileSync(join(dir, 'jwks.json'), '{"keys":[]}');
    const result = await run(['check', join(dir, 'policy.json')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/check-in 3d, algorithms RS256,PS256,ES256,ES384,EdDSA, bundled JWKS .*jwks\.json\n$/);
  });

  it('exits 2 naming each bad field, one per line', async () => {
    const file = join(fixtures, 'invalid-many.json');
    const result = await run(['check', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`fieldkey policy check: Policy ${file} is invalid (5 problems):`);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}issuer: uses plain http:\/\/ on "auth\.acme\.com"/),
      expect.stringMatching(/^ {2}gracePeriodHour: unknown key.*did you mean "gracePeriodHours"/),
      expect.stringMatching(/^ {2}pin\.minLength: must be at least 6 \(got 2\)$/),
      expect.stringMatching(/^ {2}allowedAlgorithms\[1\]: HS256 is HMAC.*cannot be verified offline/),
      expect.stringMatching(/^ {2}redirect\.port: is required when redirect\.mode is "fixed-port"$/),
    ]);
  });

  it('exits 2 with line and column for broken JSON', async () => {
    const result = await run(['check', join(fixtures, 'trailing-comma.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("(document): invalid JSON at line 4, column 1: trailing comma before '}'");
  });

  it('exits 2 when the file cannot be read', async () => {
    const result = await run(['check', join(dir, 'missing.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`fieldkey policy check: Policy ${join(dir, 'missing.json')} could not be read: no such file\n`);
  });
});

describe('fieldkey policy check (search order)', () => {
  it('uses FIELDKEY_POLICY and says so', async () => {
    const file = join(fixtures, 'valid-full.json');
    const result = await run(['check'], { FIELDKEY_POLICY: file });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`policy OK: issuer https://auth.acme.com, client fieldkey-desktop, source FIELDKEY_POLICY ${file}, grace 12h, read-only until check-in, check-in 3d, algorithms ES256,EdDSA\n`);
  });

  it('exits 2 when FIELDKEY_POLICY is invalid', async () => {
    const result = await run(['check'], { FIELDKEY_POLICY: join(fixtures, 'invalid-many.json') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is invalid \(5 problems\)/);
  });

  it('falls back to the demo policy and warns that it is for development', async () => {
    const command = createPolicyCommand({ platform: 'linux', fs: fakePolicyFs({}) });
    const result = await run(['check'], {}, command);
    expect(result).toEqual({
      code: 0,
      stdout: 'policy OK: issuer http://127.0.0.1:9011, client fieldkey-desktop, source built-in demo policy (demo IdP at http://127.0.0.1:9011), grace 24h, read-only until check-in, check-in 7d, algorithms RS256,PS256,ES256,ES384,EdDSA\n',
      stderr: 'note: no policy is configured on this machine; this is the built-in demo policy, for development only.\n',
    });
  });

  it('reports the machine-wide file', async () => {
    const fs = fakePolicyFs({ '/etc/fieldkey/policy.json': JSON.stringify({ issuer: 'https://auth.acme.com', clientId: 'fleet' }) });
    const result = await run(['check'], {}, createPolicyCommand({ platform: 'linux', fs }));
    expect(result.stdout).toContain('source machine-wide file /etc/fieldkey/policy.json,');
  });

  it('says FIELDKEY_POLICY is ignored when a fleet policy is present', async () => {
    const registry: MachinePolicySource = {
      kind: 'registry',
      name: 'fake',
      location: 'HKLM\\SOFTWARE\\Policies\\FieldKey',
      read: async () => ({ issuer: 'https://auth.acme.com', clientId: 'gpo' }),
    };
    const command = createPolicyCommand({ platform: 'win32', fs: fakePolicyFs({}), machineSources: [registry] });
    const result = await run(['check'], { FIELDKEY_POLICY: join(fixtures, 'valid-full.json') }, command);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('client gpo, source registry HKLM\\SOFTWARE\\Policies\\FieldKey,');
    expect(result.stderr).toBe('note: FIELDKEY_POLICY is ignored because a fleet machine policy is present.\n');
  });

  it('exits 2 when the machine-wide file is writable by others', async () => {
    const fs = fakePolicyFs({ '/etc/fieldkey/policy.json': { content: '{}', mode: 0o100666 } });
    const result = await run(['check'], {}, createPolicyCommand({ platform: 'linux', fs }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/writable by users other than its owner \(mode 0666\)/);
  });
});

describe('fieldkey policy usage', () => {
  it.each([
    [[], /missing subcommand/],
    [['validate'], /unknown subcommand 'validate'/],
    [['check', 'a.json', 'b.json'], /too many arguments/],
    [['check', '--json'], /too many arguments|usage/],
  ])('%j exits 2 with usage', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: fieldkey policy check [FILE]');
  });

  it('prints help on --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: fieldkey policy check [FILE]');
  });
});
