/**
 * `fieldkey` command line: the same core as the app, without a window (DESIGN.md section 9).
 */
import { EXIT_USAGE, writeLine, type CliIo, type Command } from './cli-io';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  policy: { summary: 'policy check [FILE]          validate an IT policy file', load: async () => (await import('./policy-command')).policyCommand },
  verify: { summary: 'verify --jwks FILE ... TOKEN  decide a token offline, as the app would', load: async () => (await import('./verify-command')).verifyCommand },
  doctor: { summary: 'doctor [--json] [--bundle F]  check policy, database, keychain, keys, clock and accounts', load: async () => (await import('./doctor-command')).doctorCommand },
  audit: { summary: 'audit export|verify          export the audit log, or check its hash chain', load: async () => (await import('./audit-command')).auditCommand },
};

export function usage(): string {
  return ['usage: fieldkey <command> [options]', '', ...Object.values(commands).map((c) => '  fieldkey ' + c.summary)].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
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
