import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killTsxChildren, runTsx, until } from '../helpers/tsx-process';

/** `npm run idp` as a real child process: flags, startup banner, SIGUSR2 rotation, clean SIGTERM stop. */

const dirs: string[] = [];

afterEach(() => {
  killTsxChildren();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runTsx('idp/cli.ts', args);

async function firstKey(issuer: string): Promise<{ kid: string; alg: string }> {
  const { keys } = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string; alg: string }[] };
  if (!keys[0]) throw new Error('empty JWKS');
  return keys[0];
}

describe('npm run idp', () => {
  it('starts on the given port and data dir, rotates on SIGUSR2 and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fieldkey-idp-cli-'));
    dirs.push(dataDir);
    const idp = run(['--port', '0', '--data-dir', dataDir, '--alg', 'ES256', '--access-token-ttl', '60', '--refresh-reuse-grace', '45']);
    const issuer = await until(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(idp.stdout())?.[1]);
    expect(idp.stdout()).toContain('signing       ES256');
    expect(idp.stdout()).toContain('refresh reuse honoured for 45s after a rotation');
    expect(idp.stdout()).toContain('tech1/fieldkey-demo-1');
    expect(idp.stdout()).not.toMatch(/Bearer [A-Za-z0-9_-]{20,}/);

    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(issuer);

    // tsx runs the script in a child process: signal the pid the banner names.
    const pid = Number(/kill -USR2 (\d+)/.exec(idp.stdout())?.[1]);
    expect(pid).toBeGreaterThan(0);
    const before = await firstKey(issuer);
    process.kill(pid, 'SIGUSR2');
    const after = await until(async () => {
      const key = await firstKey(issuer);
      return key.kid !== before.kid ? key : undefined;
    });
    expect(after.alg).toBe('ES256');

    idp.child.kill('SIGTERM');
    expect(await idp.exited).toBe(0);
  });

  it.each([
    [['--alg', 'HS256'], /--alg must be one of RS256, ES256, EdDSA/],
    [['--port', 'abc'], /--port must be an integer/],
    [['--access-token-ttl', '0'], /--access-token-ttl must be an integer >= 1/],
    [['--refresh-reuse-grace', '1.5'], /--refresh-reuse-grace must be an integer >= 0/],
    [['--refresh-reuse-grace', '301'], /--refresh-reuse-grace must be at most 300/],
    [['--bogus'], /Unknown option/],
  ])('refuses %j with usage and exit code 2', async (args, message) => {
    const idp = run(args);
    expect(await idp.exited).toBe(2);
    expect(idp.stderr()).toMatch(message);
    expect(idp.stderr()).toContain('Usage: npm run idp');
  });
});
