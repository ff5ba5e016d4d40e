/**
 * The `fieldkey` entry point: `--version` wherever it is asked, and a usage text that names every
 * command's exit codes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-run';
import { main, usage } from '../../../src/main/cli/index';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('fieldkey --version', () => {
  it.each([
    [['--version']],
    [['-V']],
    [['doctor', '--version']],
    [['policy', 'check', '--version']],
    [['audit', 'verify', '--version']],
    [['verify', '--version']],
  ])('%j prints the version, exit 0', async (args) => {
    const result = await runCli(main, args);
    expect(result).toEqual({ code: 0, stdout: `fieldkey ${VERSION}\n`, stderr: '' });
  });

  it('--help wins over --version', async () => {
    const result = await runCli(main, ['--help', '--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${usage()}\n`);
  });
});

describe('fieldkey usage', () => {
  it('names each command’s exit codes', () => {
    const text = usage();
    expect(text).toMatch(/^ {2}policy +0 valid, 2 invalid or unreadable$/m);
    expect(text).toMatch(/^ {2}verify +0 full, 3 read-only, 1 denied, 2 usage or configuration error$/m);
    expect(text).toMatch(/^ {2}doctor +0 healthy, 1 problems found, 2 cannot run$/m);
    expect(text).toMatch(/^ {2}audit +export 0 written, 2 cannot run; verify 0 intact, 1 tampered, 2 cannot run$/m);
    expect(text).toContain('fieldkey --version');
  });

  it('no command: the usage on stderr, exit 2; an unknown one likewise', async () => {
    expect(await runCli(main, [])).toMatchObject({ code: 2, stdout: '', stderr: `${usage()}\n` });
    const unknown = await runCli(main, ['export']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^fieldkey: unknown command 'export'\n/);
  });
});
