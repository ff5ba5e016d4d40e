/**
 * Audit export formats: JSON Lines (one event object per line) and CSV (RFC 4180: a header row,
 * CRLF line ends, fields quoted when they hold a comma, a quote, a line break or edge spaces, inner
 * quotes doubled). Instants are ISO 8601 UTC; `details` is an object in JSON Lines and its JSON
 * text in CSV.
 */
import type { AuditEvent } from './audit-log';

export type AuditExportFormat = 'jsonl' | 'csv';
export const AUDIT_EXPORT_FORMATS: readonly AuditExportFormat[] = ['jsonl', 'csv'];

const CSV_COLUMNS = ['seq', 'type', 'account', 'atLocal', 'atTrusted', 'details', 'prevHash', 'hash'] as const;

interface ExportRecord {
  seq: number;
  type: string;
  account: string | null;
  atLocal: string;
  atTrusted: string | null;
  details: AuditEvent['details'];
  prevHash: string;
  hash: string;
}

function toRecord(event: AuditEvent): ExportRecord {
  return {
    seq: event.seq,
    type: event.type,
    account: event.account,
    atLocal: event.atLocal.toISOString(),
    atTrusted: event.atTrusted === null ? null : event.atTrusted.toISOString(),
    details: event.details,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** The export as text chunks (each ends with a line break), streaming over `events`. */
export function* exportLines(events: Iterable<AuditEvent>, format: AuditExportFormat): Generator<string> {
  if (format === 'csv') yield CSV_COLUMNS.join(',') + '\r\n';
  for (const event of events) {
    const record = toRecord(event);
    if (format === 'jsonl') {
      yield JSON.stringify(record) + '\n';
    } else {
      yield CSV_COLUMNS.map((column) => csvField(column === 'details' ? detailsText(record.details) : record[column])).join(',') + '\r\n';
    }
  }
}

function detailsText(details: AuditEvent['details']): string {
  return typeof details === 'string' ? details : JSON.stringify(details);
}

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
