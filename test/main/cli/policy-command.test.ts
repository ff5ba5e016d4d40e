import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun, type CliRunOptions } from '../../helpers/cli-run';
import { main } from '../../../src/main/cli/index';
import { createPolicyCommand } from '../../../src/main/cli/policy-command';
import type { Command } from '../../../src/main/cli/cli-io';
import type { Env } from '../../../src/main/core/environment';
import { loadConfiguration } from '../../../src/main/core/auth/configuration';
import type { MachinePolicySource } from '../../../src/main/core/policy/machine-policy-source';
import { fakePolicyFs } from '../core/policy/fake-policy-fs';

const fixtures = join(import.meta.dirname, '../../fixtures/policy');
const dir = mkdtempSync(join(tmpdir(), 'fieldkey-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Env = {}, command?: Command, options: Omit<CliRunOptions, 'env'> = {}): Promise<CliRun> {
  return command ? runCli(command, args, { env, ...options }) : runCli(main, ['policy', ...args], { env, ...options });
}

/** The packaged app's policy rule, as electron-main hands it to the command line. */
const PACKAGED = { policyOptions: { allowDemo: false } };

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
    expect(result.stdout).toBe(
      `policy OK: issuer https://auth.acme.com, client fieldkey-desktop, source FIELDKEY_POLICY ${file}, grace 12h, read-only until check-in, check-in 3d, algorithms ES256,EdDSA\n` +
        `verdict: FieldKey uses this policy (FIELDKEY_POLICY ${file}).\n`,
    );
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
      stdout:
        'policy OK: issuer http://127.0.0.1:9011, client fieldkey-desktop, source built-in demo policy (demo IdP at http://127.0.0.1:9011), grace 24h, read-only until check-in, check-in 7d, algorithms RS256,PS256,ES256,ES384,EdDSA\n' +
        'verdict: FieldKey uses this policy (built-in demo policy (demo IdP at http://127.0.0.1:9011)).\n',
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
    [['check', '--strict'], /unknown option '--strict'/],
  ])('%j exits 2 with usage', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: fieldkey policy check [FILE]');
  });

  it('prints help on --help: the search order as the app follows it, and the exit codes', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: fieldkey policy check [FILE] [--json]');
    const order = [
      '1. the fleet machine policy',
      '2. the machine-wide file',
      '3. FIELDKEY_POLICY, only when there is no machine policy',
      '4. the built-in demo policy, only in development',
    ];
    const at = order.map((step) => result.stdout.indexOf(step));
    expect(at.every((index) => index > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(result.stdout).toContain('Exit status: 0 valid, 2 invalid, unreadable or missing');
  });

  it('a usage error under --json is the stable error object on stdout', async () => {
    const result = await run(['check', '--strict', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'usage_error', message: "unknown option '--strict'" } });
  });
});

describe('fieldkey policy check --json', () => {
  it('a valid file: its source, the verdict, no problems, the policy facts', async () => {
    const file = join(fixtures, 'valid-full.json');
    const result = await run(['check', file, '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      source: { kind: 'file', location: file, description: `file ${file}` },
      verdict: 'valid',
      code: null,
      problems: [],
      policy: {
        issuer: 'https://auth.acme.com',
        clientId: 'fieldkey-desktop',
        gracePeriodHours: 12,
        readOnlyHours: null,
        checkInIntervalDays: 3,
        allowedAlgorithms: ['ES256', 'EdDSA'],
        bundledJwks: null,
      },
    });
  });

  it('an invalid file: exit 2, each problem as { field, reason }', async () => {
    const file = join(fixtures, 'invalid-many.json');
    const result = await run(['check', '--json', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const document = JSON.parse(result.stdout) as { verdict: string; code: string; problems: Array<{ field: string; reason: string }> };
    expect(document).toMatchObject({ source: { kind: 'file', location: file }, verdict: 'invalid', code: 'policy_invalid' });
    expect(document.problems).toHaveLength(5);
    for (const problem of document.problems) expect(Object.keys(problem).sort()).toEqual(['field', 'reason']);
    expect(document.problems.map((p) => p.field)).toEqual([
      'issuer',
      'gracePeriodHour',
      'pin.minLength',
      'allowedAlgorithms[1]',
      'redirect.port',
    ]);
  });

  it('an unreadable file: exit 2, code policy_unreadable, one problem with no field', async () => {
    const result = await run(['check', join(dir, 'missing.json'), '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      verdict: 'invalid',
      code: 'policy_unreadable',
      problems: [{ field: null, reason: expect.stringMatching(/could not be read: no such file/) }],
    });
  });

  it('without FILE: where the policy came from and the app’s verdict', async () => {
    const file = join(fixtures, 'valid-full.json');
    const result = await run(['check', '--json'], { FIELDKEY_POLICY: file });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      source: { kind: 'env', location: file, description: `FIELDKEY_POLICY ${file}` },
      verdict: 'valid',
      app: 'uses-policy',
    });
  });

  it('without FILE, an invalid policy: the problems the app’s "misconfigured" screen lists', async () => {
    const env = { FIELDKEY_POLICY: join(fixtures, 'invalid-many.json') };
    const result = await run(['check', '--json'], env);
    expect(result.code).toBe(2);
    const document = JSON.parse(result.stdout) as { app: string; problems: Array<{ field: string | null; reason: string }> };
    expect(document.app).toBe('misconfigured');
    const app = await loadConfiguration(env, process.platform);
    expect(app.ok).toBe(false);
    if (app.ok) return;
    expect(document.problems).toEqual(app.facts.problems.map((p) => ({ field: p.field, reason: p.message })));
  });
});

describe('fieldkey policy check in the packaged app (the demo policy refused, as the window refuses it)', () => {
  it('nothing configured: exit 2, policy_missing, and the app’s verdict "misconfigured"', async () => {
    const command = createPolicyCommand({ platform: 'linux', fs: fakePolicyFs({}) });
    const result = await run(['check'], {}, command, PACKAGED);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('fieldkey policy check: No FieldKey policy is configured. IT must deploy /etc/fieldkey/policy.json');
    expect(result.stderr).toContain('verdict: FieldKey shows "misconfigured": FieldKey is not set up correctly on this laptop');
  });

  it('nothing configured, --json: the same, as an object', async () => {
    const command = createPolicyCommand({ platform: 'linux', fs: fakePolicyFs({}) });
    const result = await run(['check', '--json'], {}, command, PACKAGED);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      source: null,
      verdict: 'invalid',
      code: 'policy_missing',
      app: 'misconfigured',
      problems: [{ field: null, reason: expect.stringMatching(/^No FieldKey policy is configured\./) }],
    });
  });

  it('a machine-wide file is used as in development', async () => {
    const fs = fakePolicyFs({ '/etc/fieldkey/policy.json': JSON.stringify({ issuer: 'https://auth.acme.com', clientId: 'fleet' }) });
    const result = await run(['check'], {}, createPolicyCommand({ platform: 'linux', fs }), PACKAGED);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('verdict: FieldKey uses this policy (machine-wide file /etc/fieldkey/policy.json).');
  });
});
