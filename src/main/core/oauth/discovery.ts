/**
 * Where the IdP's endpoints come from: explicit `policy.endpoints` (for IdPs without discovery) win;
 * otherwise the OpenID discovery document at `policy.discoveryUrl` or
 * `<issuer>/.well-known/openid-configuration`. The document's `issuer` must equal the configured
 * issuer exactly (`issuer_mismatch`), and an IdP that lists PKCE methods without S256 is refused
 * (`pkce_unsupported`). A good document is cached in SQLite so an offline start still knows the
 * endpoints; the cached copy is validated again when loaded (the policy may have changed since).
 */
import { FieldKeyError } from '../../../shared/errors';
import { isUrlIssuer, urlProblem } from '../policy/policy-rules';
import type { Policy } from '../policy/policy-types';
import { isPlainObject, readJsonObject, send, unavailable, type HttpOptions } from './http-client';

export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  revocationEndpoint?: string;
  endSessionEndpoint?: string;
  /** RFC 9207: the IdP sends `iss` in authorization responses, so the listener requires it. */
  issParameterSupported: boolean;
  /** Where the endpoints came from. */
  source: 'network' | 'cache' | 'policy';
}

/** The discovery cache (src/main/core/records/discovery-cache.ts) as this module needs it. */
export interface DiscoveryCache {
  save(issuer: string, document: Record<string, unknown>): void;
  load(issuer: string): { document: Record<string, unknown> } | undefined;
}

export interface DiscoveryDeps {
  policy: Policy;
  http: HttpOptions;
  cache: DiscoveryCache;
}

/** The discovery document URL the policy implies, or undefined for a non-URL issuer without `discoveryUrl`. */
export function discoveryUrlFor(policy: Policy): string | undefined {
  if (policy.discoveryUrl) return policy.discoveryUrl;
  if (!isUrlIssuer(policy.issuer)) return undefined;
  return `${policy.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Online: fetch, validate, cache. When the IdP cannot be reached (`offline`, `idp_unavailable`)
 * the cached document is used if there is one (unless `allowCache` is false: a sign-in needs the
 * IdP anyway). A document that fails validation is never cached and never silently replaced by the
 * cached one: that is a configuration (or attack) problem.
 */
export async function discover(deps: DiscoveryDeps, { allowCache = true }: { allowCache?: boolean } = {}): Promise<ProviderMetadata> {
  const explicit = fromPolicyOnly(deps.policy);
  if (explicit) return explicit;
  const url = discoveryUrlFor(deps.policy)!;
  let document: Record<string, unknown>;
  try {
    document = await fetchDocument(deps.http, url);
  } catch (error) {
    if (allowCache && error instanceof FieldKeyError && (error.code === 'offline' || error.code === 'idp_unavailable')) {
      const cached = cachedMetadata(deps);
      if (cached) return cached;
    }
    throw error;
  }
  const metadata = withPolicyEndpoints(deps.policy, parseDocument(deps.policy, document, 'network'));
  deps.cache.save(deps.policy.issuer, document);
  return metadata;
}

/** Offline: the endpoints from the policy or the cache only, without touching the network. */
export function cachedMetadata(deps: Pick<DiscoveryDeps, 'policy' | 'cache'>): ProviderMetadata | undefined {
  const explicit = fromPolicyOnly(deps.policy);
  if (explicit) return explicit;
  const cached = deps.cache.load(deps.policy.issuer);
  return cached ? withPolicyEndpoints(deps.policy, parseDocument(deps.policy, cached.document, 'cache')) : undefined;
}

async function fetchDocument(http: HttpOptions, url: string): Promise<Record<string, unknown>> {
  const response = await send(http, url, { headers: { accept: 'application/json' } }, 'discovery');
  if (response.status !== 200) {
    await response.body?.cancel();
    if (response.status >= 500) throw unavailable('discovery', response.status);
    throw new FieldKeyError('discovery_invalid', `The discovery document at ${url} could not be loaded (HTTP ${response.status}).`);
  }
  const document = await readJsonObject(response, 'discovery');
  if (!document) throw new FieldKeyError('discovery_invalid', `The discovery document at ${url} is not a JSON object.`);
  return document;
}

/** Policy endpoints alone are enough when there is no discovery URL to ask. */
function fromPolicyOnly(policy: Policy): ProviderMetadata | undefined {
  if (!policy.endpoints) {
    if (discoveryUrlFor(policy) === undefined) {
      throw new FieldKeyError(
        'discovery_unavailable',
        `The issuer "${policy.issuer}" is not a URL: the policy needs discoveryUrl or explicit endpoints.`,
      );
    }
    return undefined;
  }
  if (policy.discoveryUrl) return undefined;
  const e = policy.endpoints;
  return {
    issuer: policy.issuer,
    authorizationEndpoint: checkEndpoint(e.authorization, 'endpoints.authorization'),
    tokenEndpoint: checkEndpoint(e.token, 'endpoints.token'),
    jwksUri: checkEndpoint(e.jwks, 'endpoints.jwks'),
    ...(e.revocation ? { revocationEndpoint: checkEndpoint(e.revocation, 'endpoints.revocation') } : {}),
    ...(e.endSession ? { endSessionEndpoint: checkEndpoint(e.endSession, 'endpoints.endSession') } : {}),
    issParameterSupported: false,
    source: 'policy',
  };
}

/** Explicit policy endpoints override the discovered ones, field by field. */
function withPolicyEndpoints(policy: Policy, metadata: ProviderMetadata): ProviderMetadata {
  const e = policy.endpoints;
  if (!e) return metadata;
  return {
    ...metadata,
    authorizationEndpoint: checkEndpoint(e.authorization, 'endpoints.authorization'),
    tokenEndpoint: checkEndpoint(e.token, 'endpoints.token'),
    jwksUri: checkEndpoint(e.jwks, 'endpoints.jwks'),
    ...(e.revocation ? { revocationEndpoint: checkEndpoint(e.revocation, 'endpoints.revocation') } : {}),
    ...(e.endSession ? { endSessionEndpoint: checkEndpoint(e.endSession, 'endpoints.endSession') } : {}),
  };
}

export function parseDocument(policy: Policy, document: Record<string, unknown>, source: 'network' | 'cache'): ProviderMetadata {
  if (!isPlainObject(document)) throw new FieldKeyError('discovery_invalid', 'The discovery document is not a JSON object.');
  if (document.issuer !== policy.issuer) {
    throw new FieldKeyError(
      'issuer_mismatch',
      `The discovery document names the issuer ${JSON.stringify(String(document.issuer).slice(0, 200))}, ` +
        `but the policy expects exactly ${JSON.stringify(policy.issuer)}.`,
    );
  }
  const methods = document.code_challenge_methods_supported;
  if (methods !== undefined && !(Array.isArray(methods) && methods.includes('S256'))) {
    throw new FieldKeyError(
      'pkce_unsupported',
      'The identity provider does not support PKCE with S256 (code_challenge_methods_supported); FieldKey requires it.',
    );
  }
  const revocation = optionalEndpoint(document, 'revocation_endpoint');
  const endSession = optionalEndpoint(document, 'end_session_endpoint');
  return {
    issuer: policy.issuer,
    authorizationEndpoint: requiredEndpoint(document, 'authorization_endpoint'),
    tokenEndpoint: requiredEndpoint(document, 'token_endpoint'),
    jwksUri: requiredEndpoint(document, 'jwks_uri'),
    ...(revocation ? { revocationEndpoint: revocation } : {}),
    ...(endSession ? { endSessionEndpoint: endSession } : {}),
    issParameterSupported: document.authorization_response_iss_parameter_supported === true,
    source,
  };
}

function requiredEndpoint(document: Record<string, unknown>, field: string): string {
  const value = document[field];
  if (typeof value !== 'string') throw new FieldKeyError('discovery_invalid', `The discovery document has no ${field}.`);
  return checkEndpoint(value, field);
}

function optionalEndpoint(document: Record<string, unknown>, field: string): string | undefined {
  const value = document[field];
  return value === undefined ? undefined : requiredEndpoint(document, field);
}

/** Endpoints must be https, or http on a loopback host (the demo IdP): the policy's own URL rule. */
export function checkEndpoint(value: string, field: string): string {
  const problem = urlProblem(value);
  if (problem) throw new FieldKeyError('discovery_invalid', `${field} ${problem}.`);
  return value;
}
