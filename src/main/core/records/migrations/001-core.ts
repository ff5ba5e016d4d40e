/**
 * Migration 1: the core tables the offline decision reads (DESIGN.md sections 1 and 2).
 *
 * Every instant is INTEGER milliseconds since the Unix epoch. "Local" instants are the device clock
 * (which the user controls); "server" instants come from the IdP (HTTP `Date`, token `iat`).
 *
 * - jwks_keys: the public keys of each issuer. A key without `kid` is still storable: rows have a
 *   surrogate id and a key's identity is (issuer, RFC 7638 thumbprint, kid or ''). The CHECK refuses
 *   any private or symmetric member, whatever the code above does. `removed_at` is set when a key
 *   disappears from the issuer's network JWKS, and cleared if it reappears.
 * - jwks_fetches: one row per JWKS fetch attempt (bounded by jwks-store.ts).
 * - server_times: server time paired with the local time it was seen at (bounded by time-records.ts).
 * - clock_high_water: the highest local time ever seen by this install (one row, only rises).
 * - check_ins: successful online check-ins per account key (issuer + sub; no FK: the accounts table
 *   belongs to migration 2).
 * - discovery_cache: the issuer's OpenID discovery document.
 */
export const coreSchema = `
CREATE TABLE jwks_keys (
  id INTEGER PRIMARY KEY,
  issuer TEXT NOT NULL,
  kid TEXT,
  alg TEXT,
  thumbprint TEXT NOT NULL,
  jwk TEXT NOT NULL CHECK (
    json_valid(jwk) AND json_type(jwk) = 'object'
    AND json_type(jwk, '$.d') IS NULL AND json_type(jwk, '$.p') IS NULL AND json_type(jwk, '$.q') IS NULL
    AND json_type(jwk, '$.dp') IS NULL AND json_type(jwk, '$.dq') IS NULL AND json_type(jwk, '$.qi') IS NULL
    AND json_type(jwk, '$.oth') IS NULL AND json_type(jwk, '$.k') IS NULL
  ),
  source TEXT NOT NULL CHECK (source IN ('network', 'bundled')),
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  removed_at INTEGER
) STRICT;
CREATE UNIQUE INDEX jwks_keys_identity ON jwks_keys (issuer, thumbprint, ifnull(kid, ''));

CREATE TABLE jwks_fetches (
  id INTEGER PRIMARY KEY,
  issuer TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  server_date INTEGER,
  etag TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'network_error', 'http_error', 'invalid')),
  detail TEXT
) STRICT;
CREATE INDEX jwks_fetches_issuer ON jwks_fetches (issuer, id);

CREATE TABLE server_times (
  id INTEGER PRIMARY KEY,
  server_time INTEGER NOT NULL,
  local_time INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('http-date', 'token-iat'))
) STRICT;
CREATE INDEX server_times_source ON server_times (source, id);

CREATE TABLE clock_high_water (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  local_time INTEGER NOT NULL
) STRICT;

CREATE TABLE check_ins (
  id INTEGER PRIMARY KEY,
  account_key TEXT NOT NULL,
  at_local INTEGER NOT NULL,
  server_time INTEGER
) STRICT;
CREATE INDEX check_ins_account ON check_ins (account_key, id);

CREATE TABLE discovery_cache (
  issuer TEXT PRIMARY KEY,
  document TEXT NOT NULL CHECK (json_valid(document) AND json_type(document) = 'object'),
  fetched_at INTEGER NOT NULL
) STRICT;
`;
