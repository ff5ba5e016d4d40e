/**
 * `shell.openExternal` opens exactly one kind of URL: the sign-in request on the IdP's authorization
 * endpoint (DESIGN.md section 1: the system browser, RFC 8252). Anything else a compromised
 * renderer or a bug could hand it (file:, javascript:, custom schemes, another host, another path,
 * credentials in the URL) is refused.
 */
const MAX_URL_CHARS = 8192;

function parse(value: string): URL | undefined {
  if (typeof value !== 'string' || value.length > MAX_URL_CHARS) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** True when `url` is an http(s) request to exactly `authorizationEndpoint` (same origin and path). */
export function isSignInUrl(url: string, authorizationEndpoint: string): boolean {
  const target = parse(url);
  const endpoint = parse(authorizationEndpoint);
  if (!target || !endpoint) return false;
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  if (target.username !== '' || target.password !== '' || endpoint.username !== '' || endpoint.password !== '') return false;
  if (target.hash !== '') return false;
  return target.origin === endpoint.origin && target.pathname === endpoint.pathname;
}
