/**
 * Policy rules a JSON Schema cannot say well: URLs that must be https (or loopback http), a
 * non-URL issuer that needs a discovery URL, the grace period against the check-in interval, and
 * a custom redirect scheme that is really custom. They run after the schema, on fields the schema
 * found no fault with.
 */
import { DEFAULT_POLICY_FIELDS } from './policy-defaults';
import { quoteValue, type PolicyProblem } from './policy-errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Why `value` is not acceptable as an IdP URL, or null when it is. */
export function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL (got ${quoteValue(value)})`;
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) {
      return `uses plain http:// on ${quoteValue(url.hostname)}: tokens and keys would cross the network unencrypted. Use https:// (http:// is only allowed for 127.0.0.1, [::1] and localhost)`;
    }
  } else if (url.protocol !== 'https:') {
    return `must be an https:// URL (got a ${quoteValue(url.protocol)} URL)`;
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a #fragment';
  if (/\s/.test(value)) return 'must not contain spaces';
  return null;
}

/** True when the issuer is meant as a URL (FusionAuth's may be a bare name such as `acme.com`). */
export function isUrlIssuer(issuer: string): boolean {
  return /^https?:\/\//i.test(issuer);
}

/**
 * Cross-field and URL rules. `document` has passed the schema except for the fields in `faulty`
 * (dotted paths already reported), which these rules leave alone.
 */
export function ruleProblems(document: Record<string, unknown>, faulty: ReadonlySet<string>): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const ok = (field: string): boolean => !faulty.has(field) && ![...faulty].some((f) => field.startsWith(f + '.'));

  const issuer = document.issuer;
  if (typeof issuer === 'string' && ok('issuer')) {
    if (isUrlIssuer(issuer) || /^[a-z][a-z0-9+.-]*:\/\//i.test(issuer)) {
      const reason = urlProblem(issuer);
      if (reason) problems.push({ field: 'issuer', reason });
      else if (/[?]/.test(issuer))
        problems.push({ field: 'issuer', reason: 'must not contain a ?query (OpenID Connect issuers never do)' });
    } else if (document.discoveryUrl === undefined && document.endpoints === undefined) {
      problems.push({
        field: 'discoveryUrl',
        reason: `is required when the issuer is not a URL (${quoteValue(issuer)}): FieldKey cannot derive the discovery document from it. FusionAuth: https://<your host>/<tenantId>/.well-known/openid-configuration`,
      });
    }
  }

  for (const [field, value] of urlFields(document)) {
    if (typeof value !== 'string' || !ok(field)) continue;
    const reason = urlProblem(value);
    if (reason) problems.push({ field, reason });
  }

  const grace = document.gracePeriodHours ?? DEFAULT_POLICY_FIELDS.gracePeriodHours;
  const checkIn = document.checkInIntervalDays ?? DEFAULT_POLICY_FIELDS.checkInIntervalDays;
  if (
    typeof grace === 'number' &&
    typeof checkIn === 'number' &&
    ok('gracePeriodHours') &&
    ok('checkInIntervalDays') &&
    grace > checkIn * 24
  ) {
    problems.push({
      field: 'gracePeriodHours',
      reason: `${grace} h is longer than the check-in interval (${checkIn} days = ${checkIn * 24} h${document.checkInIntervalDays === undefined ? ', the default' : ''}): the check-in deadline would always end offline access first. Lower gracePeriodHours or raise checkInIntervalDays`,
    });
  }

  const redirect = document.redirect as { mode?: unknown; uri?: unknown } | undefined;
  if (redirect?.mode === 'custom-scheme' && typeof redirect.uri === 'string' && ok('redirect.uri')) {
    const scheme = redirect.uri.slice(0, redirect.uri.indexOf(':')).toLowerCase();
    if (['http', 'https', 'file', 'javascript', 'data', 'about', 'blob', 'ftp', 'ws', 'wss', 'app'].includes(scheme)) {
      problems.push({
        field: 'redirect.uri',
        reason: `uses the ${quoteValue(scheme)} scheme, which is not a custom scheme: use a scheme of your own such as com.acme.fieldkey:/callback (for http redirects use mode "loopback" or "fixed-port")`,
      });
    }
  }
  return problems;
}

function urlFields(document: Record<string, unknown>): [string, unknown][] {
  const fields: [string, unknown][] = [['discoveryUrl', document.discoveryUrl]];
  const endpoints = document.endpoints;
  if (typeof endpoints === 'object' && endpoints !== null && !Array.isArray(endpoints)) {
    for (const [name, value] of Object.entries(endpoints)) fields.push([`endpoints.${name}`, value]);
  }
  const api = document.api;
  if (typeof api === 'object' && api !== null && !Array.isArray(api))
    fields.push(['api.baseUrl', (api as Record<string, unknown>).baseUrl]);
  return fields;
}
