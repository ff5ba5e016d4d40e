/**
 * Requests to the token endpoint (code exchange and refresh) for FieldKey's public client: a form
 * POST with `client_id`, no client secret. The outcome is one of
 * - the parsed JSON body with the server's `Date` and the local time it arrived at;
 * - `TokenEndpointError` (`token_refused`) when the IdP answered with an OAuth error (RFC 6749
 *   section 5.2), carrying the OAuth `error` so callers can tell `invalid_grant` apart;
 * - `offline` (no answer) or `idp_unavailable` (5xx, redirects, non-OAuth errors): never a refusal.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import { sanitizedOAuthError } from './error-text';
import { readJsonObject, send, serverDate, unavailable, type HttpOptions } from './http-client';

export interface TokenEndpointAnswer {
  body: Record<string, unknown>;
  /** The response's HTTP `Date`, when present. */
  serverDate: Date | undefined;
  /** The local clock when the response arrived. */
  receivedAt: Date;
}

/** The IdP refused the request with an OAuth error; `error` is sanitized (printable ASCII, bounded). */
export class TokenEndpointError extends FieldKeyError {
  readonly error: string;
  readonly description: string | undefined;
  readonly status: number;

  constructor(error: string, description: string | undefined, status: number) {
    super('token_refused', `The identity provider refused the token request: ${error}${description ? ` (${description})` : ''}.`);
    this.error = error;
    this.description = description;
    this.status = status;
  }
}

export async function postTokenRequest(
  http: HttpOptions,
  clock: Clock,
  tokenEndpoint: string,
  params: URLSearchParams,
): Promise<TokenEndpointAnswer> {
  const response = await send(
    http,
    tokenEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: params.toString(),
    },
    'token',
  );
  const receivedAt = clock.now();
  const date = serverDate(response);
  if (response.status >= 500) {
    await response.body?.cancel();
    throw unavailable('token', response.status);
  }
  const body = await readJsonObject(response, 'token');
  if (response.status === 200) {
    // Not JSON (a proxy's or portal's page): not an answer from the IdP, so not a refusal either.
    if (!body) throw new FieldKeyError('idp_unavailable', 'The identity provider sent a token response that is not a JSON object.');
    return { body, serverDate: date, receivedAt };
  }
  if ((response.status === 400 || response.status === 401) && body && typeof body.error === 'string') {
    const { error, description } = sanitizedOAuthError(body.error, body.error_description);
    throw new TokenEndpointError(error, description, response.status);
  }
  throw unavailable('token', response.status);
}
