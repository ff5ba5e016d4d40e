/**
 * The one way the OAuth client talks HTTP: an injected fetch function (never the global one), a
 * request timeout, bounded JSON bodies, and the server's `Date` header. A request that cannot reach
 * the server becomes `offline`; a server that answers with 5xx or something unreadable becomes
 * `idp_unavailable`. Neither is ever mistaken for a refusal by the IdP.
 */
import { FieldKeyError } from '../../../shared/errors';

/** The subset of `fetch` FieldKey needs; tests pass a fake, the app passes Node's or Electron's. */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** Responses larger than this are refused before parsing (discovery, JWKS and token responses are a few KB). */
export const MAX_RESPONSE_BYTES = 256 * 1024;
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface HttpOptions {
  fetch: FetchFn;
  /** Milliseconds before a request is abandoned as `offline`. */
  timeoutMs?: number;
}

/**
 * Sends one request. A thrown fetch (DNS, refused, reset, proxy, certificate, timeout) is `offline`;
 * the URL is in the message, nothing else. A fetch that already decided (a FieldKeyError, e.g. the
 * Electron shell's refused redirect) is passed on as it is.
 */
export async function send(http: HttpOptions, url: string, init: RequestInit, what: string): Promise<Response> {
  const signal = AbortSignal.timeout(http.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await http.fetch(url, { ...init, signal, redirect: 'manual' });
  } catch (cause) {
    if (cause instanceof FieldKeyError) throw cause;
    throw new FieldKeyError('offline', `Cannot reach the identity provider (${what} at ${url}).`, { cause });
  }
}

/** Reads a body as text, refusing bodies over the cap (declared or actual). */
export async function readText(response: Response, what: string, maxBytes = MAX_RESPONSE_BYTES): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new FieldKeyError('idp_unavailable', `The identity provider's ${what} response is too large.`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new FieldKeyError('idp_unavailable', `The identity provider's ${what} response is too large.`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof FieldKeyError) throw cause;
    throw new FieldKeyError('offline', `The connection to the identity provider broke while reading its ${what} response.`, { cause });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; anything else (HTML error page, array, garbage) returns undefined. */
export async function readJsonObject(
  response: Response,
  what: string,
  maxBytes = MAX_RESPONSE_BYTES,
): Promise<Record<string, unknown> | undefined> {
  const text = await readText(response, what, maxBytes);
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The server's `Date` header, or undefined when absent or unparseable. */
export function serverDate(response: Response): Date | undefined {
  const header = response.headers.get('date');
  if (!header) return undefined;
  const at = new Date(header);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** 5xx and other non-OAuth failures: the IdP is there but not answering usefully. Not a refusal. */
export function unavailable(what: string, status: number): FieldKeyError {
  return new FieldKeyError('idp_unavailable', `The identity provider could not answer the ${what} request (HTTP ${status}).`);
}
