import { describe, expect, it } from 'vitest';
import { cliArguments } from '../../../src/main/app/launch-mode';

describe('cliArguments', () => {
  it.each([
    [['/opt/FieldKey/fieldkey', 'policy', 'check', '/etc/fieldkey/policy.json'], false, ['policy', 'check', '/etc/fieldkey/policy.json']],
    [['/opt/FieldKey/fieldkey', 'doctor', '--json'], false, ['doctor', '--json']],
    [['/opt/FieldKey/fieldkey', '--no-sandbox', 'audit', 'verify'], false, ['audit', 'verify']],
    [['electron', '.', 'verify', '--jwks', 'k.json', 'tok'], true, ['verify', '--jwks', 'k.json', 'tok']],
    [['/opt/FieldKey/fieldkey'], false, undefined],
    [['/opt/FieldKey/fieldkey', '--enable-logging'], false, undefined],
    [['electron', '.'], true, undefined],
    [['electron', 'policy'], true, undefined],
    [['/opt/FieldKey/fieldkey', 'fieldkey://callback?code=x'], false, undefined],
    [['/opt/FieldKey/fieldkey', 'rm', '-rf'], false, undefined],
    [['/opt/FieldKey/fieldkey', '--version'], false, ['--version']],
    [['/opt/FieldKey/fieldkey', '--no-sandbox', '--help'], false, ['--help']],
    [['electron', '.', '--version'], true, ['--version']],
    [['/opt/FieldKey/fieldkey', '--versions'], false, undefined],
  ] as [string[], boolean, string[] | undefined][])('%j (defaultApp %s) -> %j', (argv, defaultApp, expected) => {
    expect(cliArguments(argv, defaultApp)).toEqual(expected);
  });
});
