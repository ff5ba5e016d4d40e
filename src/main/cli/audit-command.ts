/**
 * `fieldkey audit export [--since ISO] [--format jsonl|csv]` and `fieldkey audit verify [--json]`.
 * Reads the database at `databaseFile(env)` (FIELDKEY_DATA_DIR) read-only: the CLI never creates,
 * migrates or changes it. Under `verify --json` an error is `{ "error": { "code", "message" } }` on
 * stdout: `usage_error`, `database_missing`, `database_unreadable` (or the database's own code, such
 * as a schema too new), `audit_log_missing`, `audit_unreadable`.
 *
 * Exit status: export 0 written, 2 cannot run; verify 0 intact, 1 tampered (problems listed),
 * 2 cannot run (no database, unreadable, too new, no audit tables, bad arguments).
 *
 * `verify` also reads the installation's record MAC key and the head mirrored in the OS keychain
 * (service from FIELDKEY_KEYCHAIN_SERVICE), so a truncated or recomputed log is reported too
 * (audit-keying.ts); without a reachable keychain it checks the chain alone. When the policy names a
 * Field API it asks for this device's audit checkpoint without a token (audit-anchoring.ts): an API
 * that needs one answers 401, and the line says the server was not checked. A checkpoint that the
 * local chain does not hold, or the anchor mismatch the app stored at a check-in, makes the log
 * tampered (a `deleted` problem when the chain ends before it, `edited` otherwise); so does a
 * failure the app's own check at start-up stored (audit-verified.ts), as a problem of the kind it
 * found whose detail starts with `audit_start_check_failed`; `--json` keeps the verifier's shape.
 */
import { envProxyFetch } from '../adapters/http/env-proxy-fetch';
import { existsSync } from 'node:fs';
import { AUDIT_EXPORT_FORMATS, exportLines, type AuditExportFormat } from '../core/audit/audit-export';
import {
  chainHolds,
  describeAnchorMismatch,
  readAnchorMismatch,
  readAuditHead,
  readDeviceId,
  type AnchorMismatch,
} from '../core/audit/audit-checkpoints';
import { readAuditKeys, unsignedRows, type AuditKeys } from '../core/audit/audit-keying';
import { auditEvents } from '../core/audit/audit-log';
import { hasAuditTables } from '../core/audit/audit-rows';
import { describeStartFailure, readStartFailure, type StartFailure } from '../core/audit/audit-verified';
import { verifyChain, type AuditProblem, type ChainVerification } from '../core/audit/verify-chain';
import type { FetchFn } from '../core/oauth/http-client';
import { loadPolicy, type LoadPolicyOptions } from '../core/policy/load-policy';
import { readCheckpointWithoutSession } from '../core/sync/audit-anchoring';
import { databaseFile, keychainService } from '../core/environment';
import { createKeytarSecretStore } from '../adapters/keychain/keytar-secret-store';
import type { SecretStore } from '../core/secrets/secret-store';
import { openDatabase, type Database } from '../adapters/sqlite/database';
import { isFieldKeyError, type ErrorData } from '../../shared/errors';
import { EXIT_USAGE, USAGE_ERROR, writeError, writeLine, type CliIo, type Command } from './cli-io';

export const EXIT_TAMPERED = 1;

export const AUDIT_USAGE = [
  'usage: fieldkey audit export [--since ISO-8601] [--format jsonl|csv]',
  '       fieldkey audit verify [--json]',
  '',
  '  export   writes the audit log (FIELDKEY_DATA_DIR) to stdout as JSON lines (default) or CSV',
  '  verify   checks its hash chain and names each edited, deleted, inserted or reordered row;',
  '           --json prints the result, or { "error": { "code", "message" } }, as JSON on stdout',
  'Exit status: export 0 written, 2 cannot run (no database, unreadable, bad arguments);',
  '             verify 0 intact, 1 tampered, 2 cannot run (no database, unreadable, bad arguments).',
].join('\n');
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

type Parsed =
  | { action: 'export'; since?: Date; format: AuditExportFormat }
  | { action: 'verify'; json: boolean }
  | { action: 'help' }
  | { error: string };

/** How long `verify` waits for the keychain before checking the chain alone. */
const KEYCHAIN_TIMEOUT_MS = 5000;

/** What the command reaches besides its io; tests replace it. */
export interface AuditCommandDeps {
  /** The keychain for a service name; default: the OS keychain through keytar. */
  secretStore?: (service: string) => SecretStore;
  /** Loader options besides `env`, for the policy's Field API. */
  policy?: Omit<LoadPolicyOptions, 'env'>;
  /** For the checkpoint look; default Node's fetch through HTTPS_PROXY/NO_PROXY (adapters/http). */
  fetch?: FetchFn;
}

/** What the look at the Field API's checkpoint found: a line for the text output, and a mismatch. */
interface ServerCheck {
  line: string;
  mismatch?: AnchorMismatch;
}

export function createAuditCommand(deps: AuditCommandDeps = {}): Command {
  const secretStore = deps.secretStore ?? ((service: string) => createKeytarSecretStore({ service }));
  return (args, io) =>
    runAudit(args, io, {
      secrets: () => secretStore(keychainService(io.env)),
      server: (db) =>
        checkAgainstServer(db, () => loadPolicy({ ...deps.policy, ...io.policyOptions, env: io.env }), deps.fetch ?? envProxyFetch(io.env)),
    });
}

export const auditCommand: Command = createAuditCommand();

interface VerifyParts {
  secrets: () => SecretStore;
  server: (db: Database) => Promise<ServerCheck | undefined>;
}

async function runAudit(args: string[], io: CliIo, parts: VerifyParts): Promise<number> {
  const parsed = parse(args);
  // `--json` belongs to verify; a mistake elsewhere on a line that asks for JSON still answers in JSON.
  const json = 'error' in parsed ? args[0] === 'verify' && args.includes('--json') : parsed.action === 'verify' && parsed.json;
  const fail = (error: ErrorData, usage?: string): number => {
    writeError(io, json, 'fieldkey audit', error, usage);
    return EXIT_USAGE;
  };
  if ('error' in parsed) return fail({ code: USAGE_ERROR, message: parsed.error }, AUDIT_USAGE);
  if (parsed.action === 'help') {
    writeLine(io.stdout, AUDIT_USAGE);
    return 0;
  }
  const opened = openAuditDatabase(io);
  if ('error' in opened) return fail(opened.error);
  const db = opened.db;
  try {
    if (parsed.action === 'export') return runExport(db, parsed.format, parsed.since, io);
    const [keys, server] = await Promise.all([keysWithin(parts.secrets), parts.server(db)]);
    return runVerify(db, parsed.json, io, keys, server);
  } catch (error) {
    return fail({
      code: 'audit_unreadable',
      message: `cannot read the audit log${isFieldKeyError(error) ? `: ${error.message}` : ' (the database may be damaged; run fieldkey doctor)'}.`,
    });
  } finally {
    db.close();
  }
}

/** The keyed-check inputs from the keychain, or none when it cannot be read in time. */
async function keysWithin(secrets: () => SecretStore): Promise<AuditKeys> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AuditKeys>((resolve) => {
    timer = setTimeout(() => resolve({}), KEYCHAIN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([readAuditKeys(secrets()).catch((): AuditKeys => ({})), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parse(args: string[]): Parsed {
  const [action, ...rest] = args;
  if (action === undefined) return { error: 'missing sub-command (export or verify)' };
  if (action === '--help' || action === '-h' || action === 'help') return { action: 'help' };
  if (action === 'verify') {
    let json = false;
    for (const arg of rest) {
      if (arg === '--json') json = true;
      else return { error: `unknown option '${printable(arg)}' for verify` };
    }
    return { action: 'verify', json };
  }
  if (action === 'export') {
    let format: AuditExportFormat = 'jsonl';
    let since: Date | undefined;
    for (let i = 0; i < rest.length; i++) {
      const [name, inline] = splitOption(rest[i]!);
      if (name !== '--since' && name !== '--format') return { error: `unknown option '${printable(name)}' for export` };
      const value = inline ?? rest[++i];
      if (value === undefined) return { error: `${name} needs a value` };
      if (name === '--format') {
        if (!(AUDIT_EXPORT_FORMATS as readonly string[]).includes(value))
          return { error: `--format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}` };
        format = value as AuditExportFormat;
      } else {
        const date = ISO_DATE.test(value) ? new Date(value) : undefined;
        if (!date || !Number.isFinite(date.getTime()))
          return { error: '--since must be an ISO 8601 date or time, e.g. 2025-03-01 or 2025-03-01T08:00:00Z' };
        since = date;
      }
    }
    return { action: 'export', format, ...(since ? { since } : {}) };
  }
  return { error: `unknown sub-command '${printable(action)}'` };
}

function splitOption(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function printable(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + '…' : text;
}

function openAuditDatabase(io: CliIo): { db: Database } | { error: ErrorData } {
  const file = databaseFile(io.env);
  if (!existsSync(file)) {
    return {
      error: { code: 'database_missing', message: `no FieldKey database at ${file} (set FIELDKEY_DATA_DIR to the data directory).` },
    };
  }
  let db: Database;
  try {
    db = openDatabase(file, { readonly: true });
  } catch (error) {
    return {
      error: isFieldKeyError(error)
        ? { code: error.code, message: error.message }
        : { code: 'database_unreadable', message: `cannot open ${file}.` },
    };
  }
  if (!hasAuditTables(db)) {
    db.close();
    return {
      error: { code: 'audit_log_missing', message: `the database at ${file} has no audit log yet; start FieldKey once to upgrade it.` },
    };
  }
  return { db };
}

function runExport(db: Database, format: AuditExportFormat, since: Date | undefined, io: CliIo): number {
  let chunk = '';
  for (const line of exportLines(auditEvents(db, since ? { since } : {}), format)) {
    chunk += line;
    if (chunk.length >= 64 * 1024) {
      io.stdout.write(chunk);
      chunk = '';
    }
  }
  if (chunk) io.stdout.write(chunk);
  return 0;
}

/** The Field API's checkpoint of this device, when the policy names an API; never fails. */
async function checkAgainstServer(
  db: Database,
  load: () => ReturnType<typeof loadPolicy>,
  fetchFn: FetchFn,
): Promise<ServerCheck | undefined> {
  let baseUrl: string | undefined;
  try {
    baseUrl = (await load()).policy.api?.baseUrl;
  } catch {
    return undefined; // no valid policy: `fieldkey doctor` reports that
  }
  if (!baseUrl) return undefined;
  const deviceId = readDeviceId(db);
  if (!deviceId) return { line: 'not checked against the server (this database has no device id yet).' };
  const look = await readCheckpointWithoutSession({ baseUrl, deviceId, fetch: fetchFn });
  switch (look.kind) {
    case 'no_session':
      return { line: 'not checked against the server (no session).' };
    case 'none':
      return { line: 'the Field API holds no audit checkpoint of this device yet.' };
    case 'unavailable':
      return { line: `not checked against the server (${look.detail}).` };
    case 'checkpoint':
      return chainHolds(db, look.checkpoint)
        ? { line: `the Field API's audit checkpoint (seq ${look.checkpoint.seq}) is in the local chain.` }
        : { line: "the Field API's audit checkpoint is NOT in the local chain.", mismatch: { ...look.checkpoint, seenAt: new Date() } };
  }
}

/** The mismatch as one of the verifier's problems: rows after the chain's end are gone, or a row was rewritten. */
function anchorProblem(db: Database, mismatch: AnchorMismatch): AuditProblem {
  const head = readAuditHead(db);
  return { seq: mismatch.seq, problem: head.seq < mismatch.seq ? 'deleted' : 'edited', detail: describeAnchorMismatch(mismatch) };
}

function withAnchor(db: Database, result: ChainVerification, mismatch: AnchorMismatch | undefined): ChainVerification {
  if (!mismatch) return result;
  return { ok: false, rows: result.rows, problems: [...(result.ok ? [] : result.problems), anchorProblem(db, mismatch)] };
}

/** The stored start-up failure as one of the verifier's problems, named by its stable code. */
function withStartFailure(result: ChainVerification, failure: StartFailure | undefined): ChainVerification {
  if (!failure) return result;
  const found: AuditProblem = {
    seq: failure.seq,
    problem: failure.problem,
    detail: `audit_start_check_failed: ${describeStartFailure(failure)}`,
  };
  return { ok: false, rows: result.rows, problems: [...(result.ok ? [] : result.problems), found] };
}

function runVerify(db: Database, json: boolean, io: CliIo, keys: AuditKeys, server: ServerCheck | undefined): number {
  const result = withStartFailure(withAnchor(db, verifyChain(db, keys), readAnchorMismatch(db) ?? server?.mismatch), readStartFailure(db));
  if (json) {
    writeLine(io.stdout, JSON.stringify(result, null, 2));
  } else if (result.ok) {
    const span = result.head ? `seq ${result.anchor.seq + 1}..${result.head.seq}` : 'empty';
    const lines = [`audit log intact: ${result.rows} row(s) (${span}).`];
    if (result.head) lines.push(`head: seq ${result.head.seq}, hash ${result.head.hash}`);
    if (result.anchor.seq > 0)
      lines.push(`rows up to seq ${result.anchor.seq} were removed by retention (anchor hash ${result.anchor.hash}).`);
    if (keys.head) lines.push(`the head kept in the keychain (seq ${keys.head.seq}) matches.`);
    const unsigned = unsignedRows(db);
    if (unsigned)
      lines.push(
        `${unsigned.rows} row(s) from seq ${unsigned.firstSeq} on carry no MAC (written while the keychain was unavailable, or added outside FieldKey).`,
      );
    if (server) lines.push(server.line);
    writeLine(io.stdout, lines.join('\n'));
  } else {
    const lines = [`audit log TAMPERED: ${result.problems.length} problem(s) in ${result.rows} row(s):`];
    for (const p of result.problems) lines.push(`  seq ${p.seq}: ${p.problem} (${p.detail})`);
    if (server) lines.push(server.line);
    writeLine(io.stdout, lines.join('\n'));
  }
  return result.ok ? 0 : EXIT_TAMPERED;
}
