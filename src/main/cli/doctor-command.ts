/**
 * `fieldkey doctor [--json]` (DESIGN.md section 9): policy, database, keychain, cached keys, clock
 * records and each account's offline outlook, without a window. Human-readable by default; `--json`
 * prints the DoctorReport (src/main/core/doctor/doctor-report.ts) for scripts.
 *
 * Exit status: 0 healthy, 1 problems found, 2 cannot run (bad arguments, or doctor itself failed).
 * It only reads: the database is opened read-only and never created; no PIN is asked for, and no
 * token, key or PIN is ever printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toErrorData } from '../../shared/errors';
import { systemClock, type Clock } from '../core/clock';
import { doctorExitCode } from '../core/doctor/doctor-report';
import { renderDoctorText } from '../core/doctor/render-doctor';
import { runDoctor } from '../core/doctor/run-doctor';
import { databaseFile, keychainService } from '../core/environment';
import { loadPolicy, type LoadPolicyOptions } from '../core/policy/load-policy';
import { createKeytarSecretStore } from '../adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../core/secrets/secret-store';
import { openDatabase } from '../adapters/sqlite/database';
import type { FetchFn } from '../core/oauth/http-client';
import { EXIT_USAGE, writeLine, type Command } from './cli-io';

export const DOCTOR_USAGE = `usage: fieldkey doctor [--json]

Checks this install without opening a window: the policy (valid? from where?), the database
(integrity, schema version), the OS keychain, the cached signing keys (age, source), the clock
records (rolled back?), each account's last check-in, when the next is due and what offline
access is possible now, the audit log's hash chain, and the Field API (reachable? note changes
waiting per account). Reads only; never asks for a PIN.
  --json   print the report as JSON (stable keys, ISO 8601 times)
Exit status: 0 healthy, 1 problems found, 2 cannot run.`;

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
    let json: boolean;
    try {
      const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
      if (values.help) {
        writeLine(io.stdout, DOCTOR_USAGE);
        return 0;
      }
      json = values.json ?? false;
    } catch (error) {
      writeLine(io.stderr, `fieldkey doctor: ${(error as Error).message}\n\n${DOCTOR_USAGE}`);
      return EXIT_USAGE;
    }

    const service = keychainService(io.env);
    try {
      const report = await runDoctor({
        clock: deps.clock ?? systemClock,
        loadPolicy: () => loadPolicy({ ...deps.policy, env: io.env }),
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
      return doctorExitCode(report);
    } catch (error) {
      writeLine(io.stderr, `fieldkey doctor: cannot run: ${toErrorData(error).message}`);
      return EXIT_USAGE;
    }
  };
}

export const doctorCommand: Command = createDoctorCommand();
