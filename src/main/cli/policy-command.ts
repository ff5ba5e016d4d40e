/**
 * `fieldkey policy check [FILE] [--json]`: validate a policy file, or (without FILE) the policy
 * this machine would use, found and judged exactly as the app does: the same search order, the same
 * refusal of the demo policy in a packaged app (`CliIo.policyOptions`), and the same verdict (the
 * app either uses the policy or shows "misconfigured").
 *
 * Text: exit 0 with a one-line summary (and, without FILE, the app's verdict) when valid; exit 2
 * with every problem, one per line, when not. `--json`: one object on stdout either way: `source`
 * (`{ kind, location, description }` or null), `verdict` (`valid` | `invalid`), `code` (null or the
 * error code), `problems` (`[{ field, reason }]`, `field` null for a problem with no field), `app`
 * (without FILE: `uses-policy` | `misconfigured`) and, when valid, `policy` (the summary's facts).
 */
import { dirname, join } from 'node:path';
import { isFieldKeyError, toErrorData, type ErrorData } from '../../shared/errors';
import { MISCONFIGURED_SUMMARY, misconfiguration } from '../core/auth/configuration';
import {
  describePolicySource,
  loadPolicy,
  type LoadedPolicy,
  type LoadPolicyOptions,
  type PolicySource,
  type PolicySourceKind,
} from '../core/policy/load-policy';
import { PolicyInvalidError } from '../core/policy/policy-errors';
import { nodePolicyFileSystem } from '../core/policy/policy-file-system';
import type { Policy } from '../core/policy/policy-types';
import { readPolicyFile } from '../core/policy/read-policy-file';
import { EXIT_USAGE, USAGE_ERROR, writeError, writeLine, type CliIo, type Command } from './cli-io';

export const POLICY_USAGE = [
  'usage: fieldkey policy check [FILE] [--json]',
  '',
  '  Validates FILE, or without FILE the policy FieldKey uses on this machine, found in this order:',
  '    1. the fleet machine policy (Windows registry HKLM\\SOFTWARE\\Policies\\FieldKey, macOS managed',
  '       preferences com.fieldkey.app), combined with the machine-wide file when both exist;',
  '    2. the machine-wide file (/etc/fieldkey/policy.json, %ProgramData%\\FieldKey\\policy.json,',
  '       /Library/Application Support/FieldKey/policy.json);',
  '    3. FIELDKEY_POLICY, only when there is no machine policy, and never in the packaged app;',
  '    4. the built-in demo policy, only in development: the packaged app reports "misconfigured".',
  "  Without FILE it also prints where the policy came from and the app's verdict.",
  '  --json   one JSON object on stdout: source, verdict, code, problems [{ field, reason }], app, policy',
  '  Exit status: 0 valid, 2 invalid, unreadable or missing (or bad arguments).',
].join('\n');

/** Loader options besides `env` (taken from the CLI's io), so tests can fake the platform and files. */
export type PolicyCommandDeps = Omit<LoadPolicyOptions, 'env'>;

type SourceKind = PolicySourceKind | 'file';

interface CheckSource {
  kind: SourceKind | null;
  location: string;
  description: string;
}

interface CheckResult {
  source: CheckSource | null;
  verdict: 'valid' | 'invalid';
  code: string | null;
  problems: Array<{ field: string | null; reason: string }>;
  /** Without FILE: what the app does with this policy. */
  app?: 'uses-policy' | 'misconfigured';
  policy?: PolicyFacts;
  notes: string[];
  /** The text form's error message (invalid only). */
  message?: string;
}

interface PolicyFacts {
  issuer: string;
  clientId: string;
  gracePeriodHours: number;
  readOnlyHours: number | null;
  checkInIntervalDays: number;
  allowedAlgorithms: string[];
  bundledJwks: string | null;
}

export function createPolicyCommand(deps: PolicyCommandDeps = {}): Command {
  return async (args, io) => {
    const json = args.includes('--json');
    const [sub, ...rest] = args.filter((arg) => arg !== '--json');
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      writeLine(io.stdout, POLICY_USAGE);
      return 0;
    }
    if (sub !== 'check' || rest.length > 1 || rest.some((a) => a.startsWith('-'))) {
      const message =
        sub === undefined
          ? 'missing subcommand'
          : sub !== 'check'
            ? `unknown subcommand '${sub}'`
            : rest.some((a) => a.startsWith('-'))
              ? `unknown option '${rest.find((a) => a.startsWith('-'))}'`
              : 'too many arguments';
      writeError(io, json, 'fieldkey policy', { code: USAGE_ERROR, message }, POLICY_USAGE);
      return EXIT_USAGE;
    }
    const result = await check(rest[0], io, deps);
    if (json) {
      const { notes: _notes, message: _message, ...document } = result;
      writeLine(io.stdout, JSON.stringify(document, null, 2));
    } else {
      writeText(result, io);
    }
    return result.verdict === 'valid' ? 0 : EXIT_USAGE;
  };
}

export const policyCommand: Command = createPolicyCommand();

async function check(file: string | undefined, io: CliIo, deps: PolicyCommandDeps): Promise<CheckResult> {
  if (file !== undefined) {
    const fs = deps.fs ?? nodePolicyFileSystem;
    const source: CheckSource = { kind: 'file', location: file, description: `file ${file}` };
    try {
      const policy = readPolicyFile(file, fs);
      const jwks = join(dirname(file), 'jwks.json');
      return valid(source, policy, fs.exists(jwks) ? jwks : undefined, []);
    } catch (error) {
      return invalid(source, error);
    }
  }
  let loaded: LoadedPolicy;
  try {
    loaded = await loadPolicy({ ...deps, ...io.policyOptions, env: io.env });
  } catch (error) {
    // The same refusal the app turns into its "misconfigured" screen.
    const app = misconfiguration(error);
    const source = error instanceof PolicyInvalidError ? { kind: null, location: error.source, description: error.source } : null;
    return {
      ...invalid(source, error),
      app: 'misconfigured',
      problems: app.facts.problems.map((p) => ({ field: p.field, reason: p.message })),
    };
  }
  const notes: string[] = [];
  if (loaded.source.kind === 'demo')
    notes.push('note: no policy is configured on this machine; this is the built-in demo policy, for development only.');
  if ((loaded.source.kind === 'registry' || loaded.source.kind === 'managed-plist') && io.env.FIELDKEY_POLICY) {
    notes.push('note: FIELDKEY_POLICY is ignored because a fleet machine policy is present.');
  }
  return { ...valid(sourceOf(loaded.source), loaded.policy, loaded.bundledJwksPath, notes), app: 'uses-policy' };
}

function sourceOf(source: PolicySource): CheckSource {
  return { kind: source.kind, location: source.location, description: describePolicySource(source) };
}

function valid(source: CheckSource, policy: Policy, bundledJwks: string | undefined, notes: string[]): CheckResult {
  const facts: PolicyFacts = {
    issuer: policy.issuer,
    clientId: policy.clientId,
    gracePeriodHours: policy.gracePeriodHours,
    readOnlyHours: policy.readOnlyHours,
    checkInIntervalDays: policy.checkInIntervalDays,
    allowedAlgorithms: [...policy.allowedAlgorithms],
    bundledJwks: bundledJwks ?? null,
  };
  return { source, verdict: 'valid', code: null, problems: [], policy: facts, notes };
}

function invalid(source: CheckSource | null, error: unknown): CheckResult {
  const data: ErrorData = isFieldKeyError(error) ? { code: error.code, message: error.message } : toErrorData(error);
  const problems =
    error instanceof PolicyInvalidError
      ? error.problems.map((p) => ({ field: p.field, reason: p.reason }))
      : [{ field: null, reason: data.message }];
  return { source, verdict: 'invalid', code: data.code, problems, notes: [], message: data.message };
}

function writeText(result: CheckResult, io: CliIo): void {
  if (result.verdict === 'valid') {
    writeLine(io.stdout, summary(result.policy!, result.source!.description));
    if (result.app) writeLine(io.stdout, `verdict: FieldKey uses this policy (${result.source!.description}).`);
  } else {
    writeLine(io.stderr, `fieldkey policy check: ${result.message}`);
    if (result.app) writeLine(io.stderr, `verdict: FieldKey shows "misconfigured": ${MISCONFIGURED_SUMMARY}`);
  }
  for (const note of result.notes) writeLine(io.stderr, note);
}

function summary(policy: PolicyFacts, sourceText: string): string {
  return [
    `policy OK: issuer ${policy.issuer}`,
    `client ${policy.clientId}`,
    `source ${sourceText}`,
    `grace ${policy.gracePeriodHours}h`,
    `read-only ${policy.readOnlyHours === null ? 'until check-in' : `${policy.readOnlyHours}h`}`,
    `check-in ${policy.checkInIntervalDays}d`,
    `algorithms ${policy.allowedAlgorithms.join(',')}`,
    ...(policy.bundledJwks ? [`bundled JWKS ${policy.bundledJwks}`] : []),
  ].join(', ');
}
