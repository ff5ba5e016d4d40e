/**
 * `fieldkey` command line: the same core as the app, without a window. `--version` (anywhere)
 * prints FieldKey's version; `fieldkey <command> --help` prints the command's usage and exit codes.
 */
import { asksForVersion, FIELDKEY_VERSION } from './cli-version';
import { EXIT_USAGE, writeLine, type CliIo, type Command } from './cli-io';

const commands: Record<string, { summary: string; exits: string; load: () => Promise<Command> }> = {
  policy: {
    summary: 'policy check [FILE] [--json]  validate a policy, or the one FieldKey uses here',
    exits: '0 valid, 2 invalid or unreadable',
    load: async () => (await import('./policy-command')).policyCommand,
  },
  verify: {
    summary: 'verify --jwks FILE ... TOKEN   decide a token offline, as the app would',
    exits: '0 full, 3 read-only, 1 denied, 2 usage or configuration error',
    load: async () => (await import('./verify-command')).verifyCommand,
  },
  doctor: {
    summary: 'doctor [--json] [--bundle F]  check policy, database, keychain, keys, clock and accounts',
    exits: '0 healthy, 1 problems found, 2 cannot run',
    load: async () => (await import('./doctor-command')).doctorCommand,
  },
  audit: {
    summary: 'audit export|verify           export the audit log, or check its hash chain',
    exits: 'export 0 written, 2 cannot run; verify 0 intact, 1 tampered, 2 cannot run',
    load: async () => (await import('./audit-command')).auditCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'usage: fieldkey <command> [options]     fieldkey --version     fieldkey <command> --help',
    '',
    ...Object.values(commands).map((c) => '  fieldkey ' + c.summary),
    '',
    'Exit status:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.exits}`),
    `  ${'(any)'.padEnd(width)}  2 unknown command or bad arguments; --help and --version exit 0`,
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (asksForVersion(argv) && !argv.some((arg) => arg === '--help' || arg === '-h')) {
    writeLine(io.stdout, `fieldkey ${FIELDKEY_VERSION}`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeLine(name === undefined ? io.stderr : io.stdout, usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = commands[name];
  if (!command) {
    writeLine(io.stderr, `fieldkey: unknown command '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await command.load())(rest, io);
}
