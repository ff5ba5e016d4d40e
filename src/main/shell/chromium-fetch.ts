/**
 * The app's `fetch` in the Electron shell: Electron's `net.fetch`, which sends every IdP, JWKS and
 * API request through Chromium's network stack. That stack follows the system proxy settings
 * (manual, PAC, WPAD), answers proxy authentication challenges (integrated Windows / Kerberos
 * authentication) and trusts the operating system's certificate store, so a laptop behind a
 * corporate proxy or a TLS-inspecting gateway reaches the IdP the way its browser does. Node's own
 * fetch does none of that.
 *
 * `net.fetch` differs from Node's fetch where the OAuth client (src/main/core/oauth/http-client.ts)
 * relies on it, so each request is adjusted here:
 * - Redirects: with `redirect: 'manual'` Electron cancels the request and rejects ('Redirect was
 *   cancelled') instead of returning the 3xx. FieldKey never follows an IdP redirect, so the
 *   request asks Electron to refuse it (`redirect: 'error'`) and the refusal becomes
 *   `idp_unavailable` (a redirect is the IdP misconfigured, not the laptop offline), as a 3xx
 *   answer is with Node's fetch.
 * - Cookies and cache: `net.fetch` runs in the default session, which is also the window's, and
 *   would store the IdP's cookies and responses there; `credentials: 'omit'` and
 *   `cache: 'no-store'` keep each request as stateless as Node's fetch.
 * - Custom protocol handlers (the shell serves `app://`) are bypassed, so no handler of the app's
 *   can ever answer a request meant for the IdP.
 * Every other rejection (`net::ERR_PROXY_CONNECTION_FAILED`, `net::ERR_CERT_AUTHORITY_INVALID`,
 * `net::ERR_NAME_NOT_RESOLVED`, an abort on timeout, ...) is passed on, and http-client.ts turns it
 * into `offline` as it does Node's fetch errors.
 *
 * Only usable once the app is ready (net's rule); the app runtime starts after `whenReady`.
 */
import { FieldKeyError } from '../../shared/errors';
import type { FetchFn } from '../core/oauth/http-client';
import { net } from './electron-api';

/** `net.fetch`'s options; `cache` is part of the Fetch standard's RequestInit, not of Node's typings. */
type NetFetchInit = RequestInit & { cache: 'no-store'; bypassCustomProtocolHandlers: boolean };

/** The message Electron's ClientRequest rejects with when a redirect meets `redirect: 'error'`. */
const REFUSED_REDIRECT = /^Attempted to redirect/;

export function chromiumFetch(): FetchFn {
  return async (input, init = {}) => {
    const followsRedirects = init.redirect === undefined || init.redirect === 'follow';
    try {
      const options: NetFetchInit = {
        ...init,
        redirect: followsRedirects ? 'follow' : 'error',
        credentials: 'omit',
        cache: 'no-store',
        bypassCustomProtocolHandlers: true,
      };
      return await net.fetch(input, options);
    } catch (cause) {
      if (!followsRedirects && cause instanceof Error && REFUSED_REDIRECT.test(cause.message)) {
        throw new FieldKeyError(
          'idp_unavailable',
          `The identity provider answered ${urlWithoutQuery(input)} with a redirect, which FieldKey does not follow.`,
          { cause },
        );
      }
      throw cause;
    }
  };
}

/** The URL for a message: a query may carry a code or a token hint, so it is left out. */
function urlWithoutQuery(input: string): string {
  const at = input.search(/[?#]/);
  return at < 0 ? input : input.slice(0, at);
}
