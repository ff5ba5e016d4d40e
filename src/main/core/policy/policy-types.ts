/**
 * The IT policy as FieldKey uses it: every field present, defaults applied (see policy-defaults.ts
 * and the README's policy reference). The JSON file IT writes may omit anything with a default.
 */

/** Asymmetric JWS algorithms FieldKey can verify offline. `none` and HS* are never allowed. */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export interface Endpoints {
  authorization: string;
  token: string;
  jwks: string;
  revocation?: string;
  endSession?: string;
}

export const IDP_KINDS = ['oidc', 'fusionauth'] as const;
export type IdpKind = (typeof IDP_KINDS)[number];

export type RedirectPolicy = { mode: 'loopback' } | { mode: 'fixed-port'; port: number } | { mode: 'custom-scheme'; uri: string };

export type Argon2Policy =
  /** Without `parallelism`, new seals use one lane per hardware thread, at most 4. */
  { memoryKiB: number; iterations: number; parallelism?: number } | { targetUnlockMs: number };

export interface Policy {
  /** Exact `iss` string (FusionAuth's may be a bare name such as `acme.com`). */
  issuer: string;
  clientId: string;
  /** Expected `aud` of the offline token. Defaults to `clientId`. */
  audience: string;
  /** Discovery document URL; defaults to `<issuer>/.well-known/openid-configuration` for URL issuers. */
  discoveryUrl?: string;
  /** Explicit endpoints for IdPs without discovery; they win over discovery. */
  endpoints?: Endpoints;
  /**
   * The IdP product, for what the standards leave out: `fusionauth` revokes refresh tokens at
   * sign-out through FusionAuth's Logout API when discovery has no RFC 7009 revocation endpoint.
   */
  idp: IdpKind;
  redirect: RedirectPolicy;
  /** Scopes besides `openid offline_access`. */
  extraScopes: string[];
  /** Which cached token decides offline access: the access token, or the ID token for IdPs whose access tokens are opaque. */
  offlineToken: 'access' | 'id';
  allowedAlgorithms: Algorithm[];
  /** Claims required besides `exp`, `iat` and `sub`. */
  requiredClaims: string[];
  /** Full access past `exp` while offline (the grace period), in hours. */
  gracePeriodHours: number;
  /** Read-only access after the grace period, in hours; `null`: until the check-in falls due; 0: none. */
  readOnlyHours: number | null;
  /** Mandatory online check-in, in days since the last successful refresh. */
  checkInIntervalDays: number;
  jwksRefreshDays: number;
  /** Seconds after sending a refresh during which a lost answer is retried once with the same refresh token. */
  refreshRetryWindowSeconds: number;
  clockSkewSeconds: number;
  pin: { minLength: number; maxAttempts: number };
  argon2: Argon2Policy;
  idleLockMinutes: number;
  maxAccounts: number;
  /** Audit log retention: events older than this many days are removed (at start-up). */
  auditRetentionDays: number;
  /** Audit log retention: at most this many newest events are kept. */
  auditRetentionRows: number;
  /** The Field API notes sync to; absent: notes stay on the laptop only. */
  api?: ApiPolicy;
}

export interface ApiPolicy {
  /** https (http only on loopback); requests go to `<baseUrl>/v1/...`. */
  baseUrl: string;
}
