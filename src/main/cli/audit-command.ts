/**
 * `fieldkey audit export [--since ISO] [--format jsonl|csv]` and `fieldkey audit verify [--json]`
 * (DESIGN.md sections 8 and 9). Reads the database at `databaseFile(env)` (FIELDKEY_DATA_DIR)
 * read-only: the CLI never creates, migrates or changes it.
 *
 * Exit status: export 0 written, 2 cannot run; verify 0 intact, 1 tampered (problems listed),
 * 2 cannot run (no database, unreadable, too new, no audit tables, bad arguments).
 */
import { existsSync } from 'node:fs';
import { AUDIT_EXPORT_FORMATS, exportLines, type AuditExportFormat } from '../core/audit/audit-export';
import { auditEvents } from '../core/audit/audit-log';
import { hasAuditTables } from '../core/audit/audit-rows';
import { verifyChain } from '../core/audit/verify-chain';
import { databaseFile } from '../core/environment';
import { openDatabase, type Database } from '../adapters/sqlite/database';
import { isFieldKeyError } from '../../shared/errors';
import { EXIT_USAGE, writeLine, type CliIo, type Command } from './cli-io';

export const EXIT_TAMPERED = 1;

const USAGE = ['usage: fieldkey audit export [--since ISO-8601] [--format jsonl|csv]', '       fieldkey audit verify [--json]'].join('\n');
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

type Parsed =
  | { action: 'export'; since?: Date; format: AuditExportFormat }
  | { action: 'verify'; json: boolean }
  | { action: 'help' }
  | { error: string };

export const auditCommand: Command = async (args, io) => {
  const parsed = parse(args);
  if ('error' in parsed) {
    writeLine(io.stderr, `fieldkey audit: ${parsed.error}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.action === 'help') {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const opened = openAuditDatabase(io);
  if (!opened) return EXIT_USAGE;
  try {
    return parsed.action === 'export' ? runExport(opened, parsed.format, parsed.since, io) : runVerify(opened, parsed.json, io);
  } catch (error) {
    writeLine(io.stderr, `fieldkey audit: cannot read the audit log${isFieldKeyError(error) ? `: ${error.message}` : ' (the database may be damaged; run fieldkey doctor)'}.`);
    return EXIT_USAGE;
  } finally {
    opened.close();
  }
};

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
        if (!(AUDIT_EXPORT_FORMATS as readonly string[]).includes(value)) return { error: `--format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}` };
        format = value as AuditExportFormat;
      } else {
        const date = ISO_DATE.test(value) ? new Date(value) : undefined;
        if (!date || !Number.isFinite(date.getTime())) return { error: '--since must be an ISO 8601 date or time, e.g. 2025-03-01 or 2025-03-01T08:00:00Z' };
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

function openAuditDatabase(io: CliIo): Database | undefined {
  const file = databaseFile(io.env);
  if (!existsSync(file)) {
    writeLine(io.stderr, `fieldkey audit: no FieldKey database at ${file} (set FIELDKEY_DATA_DIR to the data directory).`);
    return undefined;
  }
  let db: Database;
  try {
    db = openDatabase(file, { readonly: true });
  } catch (error) {
    writeLine(io.stderr, `fieldkey audit: ${isFieldKeyError(error) ? error.message : `cannot open ${file}.`}`);
    return undefined;
  }
  if (!hasAuditTables(db)) {
    db.close();
    writeLine(io.stderr, `fieldkey audit: the database at ${file} has no audit log yet; start FieldKey once to upgrade it.`);
    return undefined;
  }
  return db;
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

function runVerify(db: Database, json: boolean, io: CliIo): number {
  const result = verifyChain(db);
  if (json) {
    writeLine(io.stdout, JSON.stringify(result, null, 2));
  } else if (result.ok) {
    const span = result.head ? `seq ${result.anchor.seq + 1}..${result.head.seq}` : 'empty';
    const lines = [`audit log intact: ${result.rows} row(s) (${span}).`];
    if (result.head) lines.push(`head: seq ${result.head.seq}, hash ${result.head.hash}`);
    if (result.anchor.seq > 0) lines.push(`rows up to seq ${result.anchor.seq} were removed by retention (anchor hash ${result.anchor.hash}).`);
    writeLine(io.stdout, lines.join('\n'));
  } else {
    const lines = [`audit log TAMPERED: ${result.problems.length} problem(s) in ${result.rows} row(s):`];
    for (const p of result.problems) lines.push(`  seq ${p.seq}: ${p.problem} (${p.detail})`);
    writeLine(io.stdout, lines.join('\n'));
  }
  return result.ok ? 0 : EXIT_TAMPERED;
}
