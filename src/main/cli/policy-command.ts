/**
 * `fieldkey policy check [FILE]`: validate a policy file, or (without FILE) the policy this machine
 * would use, following the search order. Exit 0 with a one-line summary when valid; exit 2 with
 * every problem, one per line, when not.
 */
import { isFieldKeyError, toErrorData } from '../../shared/errors';
import { describePolicySource, loadPolicy, type LoadPolicyOptions } from '../core/policy/load-policy';
import { nodePolicyFileSystem } from '../core/policy/policy-file-system';
import { readPolicyFile } from '../core/policy/read-policy-file';
import { EXIT_USAGE, writeLine, type CliIo, type Command } from './cli-io';
import { dirname, join } from 'node:path';
import type { Policy } from '../core/policy/policy-types';

const USAGE = [
  'usage: fieldkey policy check [FILE]',
  '',
  '  Validates FILE, or without FILE the policy FieldKey would use on this machine',
  '  (fleet machine policy, FIELDKEY_POLICY, the machine-wide file, then the demo policy).',
  '  Exit status: 0 valid, 2 invalid or unreadable.',
].join('\n');

/** Loader options besides `env` (taken from the CLI's io), so tests can fake the platform and files. */
export type PolicyCommandDeps = Omit<LoadPolicyOptions, 'env'>;

export function createPolicyCommand(deps: PolicyCommandDeps = {}): Command {
  return async (args, io) => {
    const [sub, ...rest] = args;
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    if (sub !== 'check' || rest.length > 1 || rest.some((a) => a.startsWith('-'))) {
      writeLine(io.stderr, `fieldkey policy: ${sub === undefined ? 'missing subcommand' : sub === 'check' ? 'too many arguments' : `unknown subcommand '${sub}'`}\n${USAGE}`);
      return EXIT_USAGE;
    }
    return check(rest[0], io, deps);
  };
}

export const policyCommand: Command = createPolicyCommand();

async function check(file: string | undefined, io: CliIo, deps: PolicyCommandDeps): Promise<number> {
  try {
    if (file !== undefined) {
      const fs = deps.fs ?? nodePolicyFileSystem;
      const policy = readPolicyFile(file, fs);
      const jwks = join(dirname(file), 'jwks.json');
      writeLine(io.stdout, summary(policy, `file ${file}`, fs.exists(jwks) ? jwks : undefined));
      return 0;
    }
    const loaded = await loadPolicy({ ...deps, env: io.env });
    writeLine(io.stdout, summary(loaded.policy, describePolicySource(loaded.source), loaded.bundledJwksPath));
    if (loaded.source.kind === 'demo') {
      writeLine(io.stderr, 'note: no policy is configured on this machine; this is the built-in demo policy, for development only.');
    }
    if ((loaded.source.kind === 'registry' || loaded.source.kind === 'managed-plist') && io.env.FIELDKEY_POLICY) {
      writeLine(io.stderr, 'note: FIELDKEY_POLICY is ignored because a fleet machine policy is present.');
    }
    return 0;
  } catch (error) {
    if (isFieldKeyError(error)) {
      writeLine(io.stderr, `fieldkey policy check: ${error.message}`);
      return EXIT_USAGE;
    }
    writeLine(io.stderr, `fieldkey policy check: ${toErrorData(error).message}`);
    return 1;
  }
}

function summary(policy: Policy, sourceText: string, bundledJwksPath: string | undefined): string {
  return [
    `policy OK: issuer ${policy.issuer}`,
    `client ${policy.clientId}`,
    `source ${sourceText}`,
    `grace ${policy.gracePeriodHours}h`,
    `read-only ${policy.readOnlyHours === null ? 'until check-in' : `${policy.readOnlyHours}h`}`,
    `check-in ${policy.checkInIntervalDays}d`,
    `algorithms ${policy.allowedAlgorithms.join(',')}`,
    ...(bundledJwksPath ? [`bundled JWKS ${bundledJwksPath}`] : []),
  ].join(', ');
}
