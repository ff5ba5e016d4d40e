/**
 * `fieldkey doctor [--json]`: policy, database, keychain, cached keys, clock
 * records and each account's offline outlook, without a window. Human-readable by default; `--json`
 * prints the DoctorReport (src/main/core/doctor/doctor-report.ts) for scripts.
 *
 * `--bundle FILE` also writes a support bundle (src/main/cli/support-bundle.ts) beside the report.
 *
 * Exit status: 0 healthy, 1 problems found, 2 cannot run (bad arguments, or doctor itself failed).
 * It only reads: the database is opened read-only and never created; no PIN is asked for, and no
 * token, key or PIN is ever printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toErrorData } from '../../shared/errors';
import { systemClock, type Clock } from '../core/clock';
import { doctorExitCode, type DoctorReport } from '../core/doctor/doctor-report';
import { renderDoctorText } from '../core/doctor/render-doctor';
import { runDoctor } from '../core/doctor/run-doctor';
import { supportBundle, writeSupportBundle } from './support-bundle';
import { databaseFile, keychainService } from '../core/environment';
import { loadPolicy, type LoadPolicyOptions } from '../core/policy/load-policy';
import { describeFsError } from '../core/policy/read-policy-file';
import { createKeytarSecretStore } from '../adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../core/secrets/secret-store';
import { openDatabase } from '../adapters/sqlite/database';
import type { FetchFn } from '../core/oauth/http-client';
import { EXIT_USAGE, USAGE_ERROR, writeError, writeLine, type Command } from './cli-io';

export const DOCTOR_USAGE = `usage: fieldkey doctor [--json] [--bundle FILE]

Checks this install without opening a window: the policy (valid? from where?), the database
(integrity, schema version), the OS keychain, the cached signing keys (age, source), the clock
records (rolled back?), each account's last check-in, when the next is due and what offline
access is possible now, the audit log's hash chain, and the Field API (reachable? note changes
waiting per account). Reads only; never asks for a PIN.
  --json          print the report as JSON (stable keys, ISO 8601 times); an error that stops it
                  is { "error": { "code", "message" } } on stdout
  --bundle FILE   also write a support bundle to FILE: one JSON file with the report, the versions
                  (FieldKey, Electron or Node, OS) and the log file's recent lines; never a secret
Exit status: 0 healthy, 1 problems found, 2 cannot run (bad arguments, or the bundle not written).`;

/** What the command reaches besides its io; tests replace any of it. */
export interface DoctorCommandDeps {
  clock?: Clock;
  /** Loader options besides `env` (platform, file system, fleet sources). */
  policy?: Omit<LoadPolicyOptions, 'env'>;
  /** The keychain for a service name; default: the OS keychain through keytar. */
  secretStore?: (service: string) => SecretStore;
  keychainTimeoutMs?: number;
  /** For the Field API probe; default Node's fetch. */
  fetch?: FetchFn;
}

export function createDoctorCommand(deps: DoctorCommandDeps = {}): Command {
  return async (args, io) => {
    let json = args.includes('--json');
    let bundleFile: string | undefined;
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: { json: { type: 'boolean' }, bundle: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.help) {
        writeLine(io.stdout, DOCTOR_USAGE);
        return 0;
      }
      json = values.json ?? false;
      bundleFile = values.bundle;
      if (bundleFile === '') throw new Error('--bundle needs a file name');
    } catch (error) {
      writeError(io, json, 'fieldkey doctor', { code: USAGE_ERROR, message: (error as Error).message }, DOCTOR_USAGE);
      return EXIT_USAGE;
    }

    const service = keychainService(io.env);
    const clock = deps.clock ?? systemClock;
    let report: DoctorReport;
    try {
      report = await runDoctor({
        clock,
        loadPolicy: () => loadPolicy({ ...deps.policy, ...io.policyOptions, env: io.env }),
        readFile: (path) => readFileSync(path),
        databaseFile: databaseFile(io.env),
        fileExists: existsSync,
        openReadOnly: (file) => openDatabase(file, { readonly: true }),
        secrets: (deps.secretStore ?? ((name: string) => createKeytarSecretStore({ service: name })))(service),
        keychainService: service,
        fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
        ...(deps.keychainTimeoutMs !== undefined && { keychainTimeoutMs: deps.keychainTimeoutMs }),
      });
      io.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : renderDoctorText(report));
    } catch (error) {
      const data = toErrorData(error);
      writeError(io, json, 'fieldkey doctor', { code: data.code, message: `cannot run: ${data.message}` });
      return EXIT_USAGE;
    }
    if (bundleFile !== undefined) {
      try {
        writeSupportBundle(bundleFile, supportBundle({ report, env: io.env, appVersion: io.appVersion ?? 'unknown', now: clock.now() }));
      } catch (error) {
        writeLine(io.stderr, `fieldkey doctor: cannot write the support bundle to ${bundleFile}: ${describeFsError(error)}`);
        return EXIT_USAGE;
      }
      writeLine(io.stderr, `fieldkey doctor: support bundle written to ${bundleFile}`);
    }
    return doctorExitCode(report);
  };
}

export const doctorCommand: Command = createDoctorCommand();
