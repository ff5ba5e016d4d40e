/**
 * The loopback redirect listener of one sign-in (RFC 8252 section 7.3): 127.0.0.1 only, an ephemeral
 * port (or the policy's fixed port), the exact path `/callback`, GET only, one use, a timeout.
 *
 * A request that cannot be this sign-in's answer (stray path, other method, foreign Host header,
 * missing or wrong `state`, wrong or missing `iss`, repeated parameters) is refused and counted but
 * does NOT end the flow: a local page or process poking the port must not be able to cancel a real
 * sign-in. Only a response carrying this request's `state` (and the IdP's `iss`, RFC 9207) ends it:
 * with the code, or with the IdP's `error=` shown to the user.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FieldKeyError } from '../../../shared/errors';
import { sanitizedOAuthError } from './error-text';

export const CALLBACK_PATH = '/callback';
export const LOOPBACK_HOST = '127.0.0.1';
export const DEFAULT_SIGN_IN_TIMEOUT_MS = 10 * 60_000;

export type RefusalReason = 'path' | 'method' | 'host' | 'state' | 'iss' | 'malformed';

export interface LoopbackRedirectOptions {
  /** The `state` of this authorization request. */
  state: string;
  /** The configured issuer; an `iss` parameter must equal it exactly. */
  issuer: string;
  /** The IdP advertises `authorization_response_iss_parameter_supported`: `iss` must be present. */
  requireIss: boolean;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  timeoutMs?: number;
  /** Called for each refused request (for the audit log); never receives parameter values. */
  onRefused?: (reason: RefusalReason) => void;
}

export interface AuthorizationResponse {
  code: string;
  /** The `iss` parameter when the IdP sent one (already checked). */
  iss?: string;
}

export interface LoopbackRedirect {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUri: string;
  readonly port: number;
  /**
   * Settles once: the code; or `idp_error` (IdpError), `authorization_response_invalid`,
   * `sign_in_timeout`, `sign_in_cancelled`. The listener is closed when it settles.
   */
  readonly response: Promise<AuthorizationResponse>;
  /** Requests refused so far, by reason. */
  refused(): Readonly<Record<RefusalReason, number>>;
  /** Ends the flow with `sign_in_cancelled` and closes the port (no-op once settled). */
  cancel(): void;
}

/** The IdP answered the authorization request with `error=`. Fields are sanitized (printable ASCII, bounded). */
export class IdpError extends FieldKeyError {
  readonly error: string;
  readonly description: string | undefined;

  constructor(error: string, description: string | undefined) {
    super('idp_error', `The identity provider did not complete the sign-in: ${error}${description ? ` (${description})` : ''}.`);
    this.error = error;
    this.description = description;
  }
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  Connection: 'close',
} as const;

/** Starts listening; resolves once the port is bound. A busy fixed port is `redirect_port_unavailable`. */
export async function startLoopbackRedirect(options: LoopbackRedirectOptions): Promise<LoopbackRedirect> {
  const refusedCounts: Record<RefusalReason, number> = { path: 0, method: 0, host: 0, state: 0, iss: 0, malformed: 0 };
  let settled = false;
  let resolveResponse!: (value: AuthorizationResponse) => void;
  let rejectResponse!: (error: Error) => void;
  const response = new Promise<AuthorizationResponse>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  // A caller that cancels without awaiting must not produce an unhandled rejection.
  response.catch(() => undefined);

  const server: Server = createServer((request, reply) => handle(request, reply));
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 50;

  let port = 0;
  const timeout: { timer?: NodeJS.Timeout } = {};

  const close = () => {
    clearTimeout(timeout.timer);
    server.close();
    server.closeAllConnections();
  };
  const settle = (outcome: { value: AuthorizationResponse } | { error: Error }, afterReply?: ServerResponse) => {
    if (settled) return;
    settled = true;
    if (afterReply) afterReply.once('finish', close).once('close', close);
    else close();
    if ('value' in outcome) resolveResponse(outcome.value);
    else rejectResponse(outcome.error);
  };
  const refuse = (reply: ServerResponse, status: number, reason: RefusalReason, extraHeaders: Record<string, string> = {}) => {
    refusedCounts[reason]++;
    options.onRefused?.(reason);
    page(reply, status, 'FieldKey', 'This request was not accepted.', extraHeaders);
  };

  function handle(request: IncomingMessage, reply: ServerResponse): void {
    if (settled) return page(reply, 410, 'FieldKey', 'This sign-in has already ended.');
    if (request.headers.host !== `${LOOPBACK_HOST}:${port}`) return refuse(reply, 400, 'host');
    const url = new URL(request.url ?? '/', `http://${LOOPBACK_HOST}:${port}`);
    if (url.pathname !== CALLBACK_PATH) return refuse(reply, 404, 'path');
    if (request.method !== 'GET') return refuse(reply, 405, 'method', { Allow: 'GET' });

    const params = url.searchParams;
    for (const name of ['state', 'code', 'iss', 'error', 'error_description']) {
      if (params.getAll(name).length > 1) return refuse(reply, 400, 'malformed');
    }
    if (params.get('state') !== options.state) return refuse(reply, 400, 'state');
    const iss = params.get('iss');
    if (iss !== null ? iss !== options.issuer : options.requireIss) return refuse(reply, 400, 'iss');

    const error = params.get('error');
    if (error !== null) {
      const sanitized = sanitizedOAuthError(error, params.get('error_description'));
      const idpError = new IdpError(sanitized.error, sanitized.description);
      page(
        reply,
        200,
        'Sign-in not completed',
        `The identity provider reported: ${idpError.error}${idpError.description ? ` (${idpError.description})` : ''}. You can return to FieldKey.`,
      );
      return settle({ error: idpError }, reply);
    }
    const code = params.get('code');
    if (!code) {
      page(reply, 400, 'Sign-in not completed', 'The identity provider sent no authorization code. You can return to FieldKey.');
      return settle(
        {
          error: new FieldKeyError(
            'authorization_response_invalid',
            'The identity provider redirected back without an authorization code.',
          ),
        },
        reply,
      );
    }
    page(reply, 200, 'Signed in', 'You can return to FieldKey and close this tab.');
    settle({ value: iss !== null ? { code, iss } : { code } }, reply);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      reject(
        new FieldKeyError(
          'redirect_port_unavailable',
          `Cannot listen for the sign-in redirect on ${LOOPBACK_HOST}:${options.port ?? 0} (${cause.code ?? 'error'}).`,
          { cause },
        ),
      );
    });
    server.listen({ host: LOOPBACK_HOST, port: options.port ?? 0, exclusive: true }, () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
  timeout.timer = setTimeout(
    () => settle({ error: new FieldKeyError('sign_in_timeout', 'The sign-in was not completed in time. Start it again.') }),
    options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS,
  );
  timeout.timer.unref();

  return {
    redirectUri: `http://${LOOPBACK_HOST}:${port}${CALLBACK_PATH}`,
    port,
    response,
    refused: () => ({ ...refusedCounts }),
    cancel: () => settle({ error: new FieldKeyError('sign_in_cancelled', 'The sign-in was cancelled.') }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(reply: ServerResponse, status: number, title: string, message: string, extraHeaders: Record<string, string> = {}): void {
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#222}</style></head>' +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  reply.writeHead(status, { ...PAGE_HEADERS, ...extraHeaders, 'Content-Length': Buffer.byteLength(body) });
  reply.end(body);
}
