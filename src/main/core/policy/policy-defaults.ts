/**
 * Policy defaults: the "practical starting point" and the floors FieldKey
 * enforces. `withDefaults` fills every field a policy document may omit; it does not validate
 * (parse-policy.ts does, before calling it).
 */
import type { Algorithm, ApiPolicy, Argon2Policy, Endpoints, IdpKind, Policy, RedirectPolicy } from './policy-types';

/** OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1). Lower values are a policy error. */
export const ARGON2_FLOOR = Object.freeze({ memoryKiB: 19456, iterations: 2, parallelism: 1 });

/**
 * Default Argon2id parameters: above OWASP's floor. No parallelism: the vault uses one lane per
 * hardware thread, at most 4 (`defaultArgon2Lanes`), unless the policy names one.
 */
export const DEFAULT_ARGON2 = Object.freeze({ memoryKiB: 65536, iterations: 3 });

export const DEFAULT_ALGORITHMS: readonly Algorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const);

/** Every defaulted field of `Policy` (all but issuer, clientId, audience and the optional URLs and API). */
export const DEFAULT_POLICY_FIELDS = Object.freeze({
  idp: 'oidc' as IdpKind,
  redirect: Object.freeze({ mode: 'loopback' }) as Readonly<RedirectPolicy>,
  extraScopes: Object.freeze([]) as readonly string[],
  offlineToken: 'access' as Policy['offlineToken'],
  allowedAlgorithms: DEFAULT_ALGORITHMS,
  requiredClaims: Object.freeze([]) as readonly string[],
  gracePeriodHours: 24,
  /** Read-only until the check-in falls due. */
  readOnlyHours: null as number | null,
  checkInIntervalDays: 7,
  jwksRefreshDays: 7,
  refreshRetryWindowSeconds: 30,
  clockSkewSeconds: 300,
  pin: Object.freeze({ minLength: 6, maxAttempts: 5 }),
  argon2: DEFAULT_ARGON2 as Readonly<Argon2Policy>,
  idleLockMinutes: 15,
  maxAccounts: 5,
  auditRetentionDays: 365,
  auditRetentionRows: 100_000,
});

/**
 * A policy as IT writes it (the JSON document, after schema validation): only `issuer` and
 * `clientId` are required; `pin` and the Argon2 parameters may be given in part.
 */
export interface PolicyDocument {
  issuer: string;
  clientId: string;
  audience?: string;
  discoveryUrl?: string;
  endpoints?: Endpoints;
  idp?: IdpKind;
  redirect?: RedirectPolicy;
  extraScopes?: string[];
  offlineToken?: Policy['offlineToken'];
  allowedAlgorithms?: Algorithm[];
  requiredClaims?: string[];
  gracePeriodHours?: number;
  readOnlyHours?: number | null;
  checkInIntervalDays?: number;
  jwksRefreshDays?: number;
  refreshRetryWindowSeconds?: number;
  clockSkewSeconds?: number;
  pin?: { minLength?: number; maxAttempts?: number };
  argon2?: { memoryKiB?: number; iterations?: number; parallelism?: number } | { targetUnlockMs: number };
  idleLockMinutes?: number;
  maxAccounts?: number;
  auditRetentionDays?: number;
  auditRetentionRows?: number;
  api?: ApiPolicy;
}

/** A complete `Policy` from a document: every omitted field takes its default; nothing is shared with the input. */
export function withDefaults(document: PolicyDocument): Policy {
  const d = DEFAULT_POLICY_FIELDS;
  const policy: Policy = {
    issuer: document.issuer,
    clientId: document.clientId,
    audience: document.audience ?? document.clientId,
    idp: document.idp ?? d.idp,
    redirect: { ...(document.redirect ?? d.redirect) } as RedirectPolicy,
    extraScopes: [...(document.extraScopes ?? d.extraScopes)],
    offlineToken: document.offlineToken ?? d.offlineToken,
    allowedAlgorithms: [...(document.allowedAlgorithms ?? d.allowedAlgorithms)],
    requiredClaims: [...(document.requiredClaims ?? d.requiredClaims)],
    gracePeriodHours: document.gracePeriodHours ?? d.gracePeriodHours,
    readOnlyHours: document.readOnlyHours ?? d.readOnlyHours,
    checkInIntervalDays: document.checkInIntervalDays ?? d.checkInIntervalDays,
    jwksRefreshDays: document.jwksRefreshDays ?? d.jwksRefreshDays,
    refreshRetryWindowSeconds: document.refreshRetryWindowSeconds ?? d.refreshRetryWindowSeconds,
    clockSkewSeconds: document.clockSkewSeconds ?? d.clockSkewSeconds,
    pin: {
      minLength: document.pin?.minLength ?? d.pin.minLength,
      maxAttempts: document.pin?.maxAttempts ?? d.pin.maxAttempts,
    },
    argon2: argon2WithDefaults(document.argon2),
    idleLockMinutes: document.idleLockMinutes ?? d.idleLockMinutes,
    maxAccounts: document.maxAccounts ?? d.maxAccounts,
    auditRetentionDays: document.auditRetentionDays ?? d.auditRetentionDays,
    auditRetentionRows: document.auditRetentionRows ?? d.auditRetentionRows,
  };
  if (document.discoveryUrl !== undefined) policy.discoveryUrl = document.discoveryUrl;
  if (document.endpoints !== undefined) policy.endpoints = { ...document.endpoints };
  if (document.api !== undefined) policy.api = { ...document.api };
  return policy;
}

function argon2WithDefaults(argon2: PolicyDocument['argon2']): Argon2Policy {
  if (argon2 && 'targetUnlockMs' in argon2) return { targetUnlockMs: argon2.targetUnlockMs };
  return {
    memoryKiB: argon2?.memoryKiB ?? DEFAULT_ARGON2.memoryKiB,
    iterations: argon2?.iterations ?? DEFAULT_ARGON2.iterations,
    ...(argon2?.parallelism !== undefined ? { parallelism: argon2.parallelism } : {}),
  };
}

/** The built-in demo policy: the local demo IdP, for a developer who has configured nothing. */
export const DEMO_POLICY_DOCUMENT: Readonly<PolicyDocument> = Object.freeze({
  issuer: 'http://127.0.0.1:9011',
  clientId: 'fieldkey-desktop',
  audience: 'fieldkey-desktop',
  // The lock screen shows the technician's name and email from the ID token.
  extraScopes: ['profile', 'email'],
  // The demo Field API, started beside the demo IdP (src/main/app/demo-idp-launcher.ts).
  api: Object.freeze({ baseUrl: 'http://127.0.0.1:9021' }),
});

export function demoPolicy(): Policy {
  return withDefaults(DEMO_POLICY_DOCUMENT);
}
