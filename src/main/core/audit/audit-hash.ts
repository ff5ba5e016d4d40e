/**
 * The audit chain's hash: SHA-256 (hex) over a canonical serialization of one row. The
 * serialization is the JSON array [version tag, seq, type, account, at_local, at_trusted, details,
 * prev_hash]: integers, strings and null only, so JSON.stringify is canonical. `details` is already
 * canonical JSON (sorted keys) when stored, and is hashed as that exact string.
 */
import { createHash } from 'node:crypto';

/** `prev_hash` of the first row ever written (the anchor's hash before any pruning). */
export const GENESIS_HASH = '0'.repeat(64);

const VERSION_TAG = 'fieldkey-audit/1';

export interface HashedFields {
  type: string;
  account: string | null;
  at_local: number;
  at_trusted: number | null;
  details: string;
  prev_hash: string;
}

export function auditHash(seq: number, row: HashedFields): string {
  const canonical = JSON.stringify([VERSION_TAG, seq, row.type, row.account, row.at_local, row.at_trusted, row.details, row.prev_hash]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Canonical JSON of a flat object of scalars: keys sorted, no whitespace. */
export function canonicalDetails(details: Readonly<Record<string, string | number | boolean | null>>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(details)
        .sort()
        .map((key) => [key, details[key]]),
    ),
  );
}
