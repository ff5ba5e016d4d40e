/**
 * Policy errors. Both fail closed: the app shows "misconfigured, contact IT" and
 * `fieldkey policy check` prints the message.
 *
 * - `policy_invalid` (PolicyInvalidError): the policy was read but breaks a rule. `problems` names
 *   each bad field as a dotted path (`pin.minLength`, `allowedAlgorithms[1]`; `(document)` for
 *   the document as a whole) and why; the message lists them one per line.
 * - `policy_unreadable` (FieldKeyError): the policy exists (or was named) but could not be read:
 *   missing file named by FIELDKEY_POLICY or the command line, permissions, a registry or plist
 *   reader that failed. The message names the location and the OS reason.
 * - `policy_insecure` (FieldKeyError): the machine-wide file is writable by non-owners (POSIX).
 *
 * Messages quote short scalar values only (truncated), never a whole file.
 */
import { FieldKeyError } from '../../../shared/errors';

export interface PolicyProblem {
  /** Dotted path of the bad field (`pin.minLength`, `allowedAlgorithms[1]`), or `(document)`. */
  field: string;
  reason: string;
}

/** The `field` used for problems with the document as a whole (syntax, not an object). */
export const DOCUMENT_FIELD = '(document)';

export class PolicyInvalidError extends FieldKeyError {
  readonly source: string;
  readonly problems: readonly PolicyProblem[];

  constructor(source: string, problems: readonly PolicyProblem[]) {
    super('policy_invalid', formatProblems(source, problems));
    this.source = source;
    this.problems = problems;
  }
}

export function formatProblems(source: string, problems: readonly PolicyProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [`Policy ${source} is invalid (${count}):`, ...problems.map((p) => `  ${p.field}: ${p.reason}`)].join('\n');
}

export function policyUnreadable(location: string, reason: string, cause?: unknown): FieldKeyError {
  return new FieldKeyError('policy_unreadable', `Policy ${location} could not be read: ${reason}`, { cause });
}

/** A short, single-line rendering of a scalar for an error message (never a whole document). */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? value.slice(0, 40) + '...' : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
