/**
 * The authorized HTTP client of the Field API (docs/field-api.md, field-api/openapi.json): the
 * account's access token as `Authorization: Bearer`, through the fetch function the app injects.
 *
 * Rules it keeps for every call:
 *  - it never sends an access token it knows is expired: within `EXPIRY_MARGIN_S` of `exp` it refreshes first
 *    (the account session's single-flight refresh), and when the IdP is out of reach it sends
 *    nothing (`idp_unreachable`);
 *  - a 401 with `WWW-Authenticate: Bearer error="invalid_token"` refreshes ONCE (sharing a refresh
 *    already in flight) and sends the request again; a second 401 is `api_unauthorized`;
 *  - a data-changing call goes out only while the account's access is `full`, decided at the moment
 *    of the call (`read_only`, `connection_required`, `not_unlocked` otherwise);
 *  - the token never reaches an error message or a log line.
 * Answers the caller must act on (stored, conflict, refused) are results; everything else is an
 * `ApiError` with a stable code.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { AccountAccess } from '../auth/auth-service-port';
import type { Clock } from '../clock';
import { isPlainObject, type FetchFn } from '../oauth/http-client';
import type { ServerNote } from './sync-store';

/** Refresh this close to `exp` (seconds): a token that expires in flight is refused by the API. */
export const EXPIRY_MARGIN_S = 30;
export const DEFAULT_API_TIMEOUT_MS = 15_000;
/** Larger answers are refused (a list of notes of 20 000 characters each stays well below). */
export const MAX_API_RESPONSE_BYTES = 64 * 1024 * 1024;

/** What calling the API needs of an unlocked account (the auth service's `apiCredentials`). */
export interface ApiCredentials {
  /** The current access token and its `exp` (Unix seconds); throws once the account is locked. */
  tokens(): { accessToken?: string; expiresAt?: number };
  /** The account session's single-flight refresh; never rejects. */
  refresh(): Promise<{ ok: true } | { ok: false; offline: boolean; revoked: boolean }>;
  /** The account's access decided now. */
  access(): Promise<AccountAccess>;
}

export type ApiErrorCode =
  /** The API did not answer (connection refused, DNS, timeout, broken answer). */
  | 'api_unreachable'
  /** The API answered 5xx or 503 token_verification_unavailable: try later. */
  | 'api_unavailable'
  /** The API refused the token even after a refresh, or the IdP refused the refresh. */
  | 'api_unauthorized'
  /** The API answered something the contract does not allow. */
  | 'api_protocol'
  /** A fresh token was needed and the IdP is out of reach: nothing was sent. */
  | 'idp_unreachable'
  | 'read_only'
  | 'connection_required'
  | 'not_unlocked';

export class ApiError extends FieldKeyError {
  declare readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The outcome of `PUT /v1/notes/{id}` the sync engine acts on. */
export type PutNoteResult =
  | { kind: 'stored'; created: boolean; note: ServerNote }
  | { kind: 'conflict'; note: ServerNote | undefined }
  | { kind: 'refused'; status: number; error: string };

/** The outcome of `POST /v1/devices/{deviceId}/audit-checkpoints`. */
export type PostCheckpointResult =
  | { kind: 'recorded'; created: boolean }
  /** 409: the server holds a higher checkpoint, or this seq with another hash (`current`). */
  | { kind: 'conflict'; error: string; current: AuditCheckpoint };

/** An audit chain head as the Field API keeps it. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
}

export interface PutNoteRequest {
  title: string;
  text: string;
  idempotencyKey: string;
  /** null: create (`If-None-Match: *`); a number: update of that version (`If-Match: "<n>"`). */
  baseVersion: number | null;
}

export interface FieldApiClientOptions {
  /** The policy's `api.baseUrl`. */
  baseUrl: string;
  fetch: FetchFn;
  credentials: ApiCredentials;
  clock: Clock;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

export class FieldApiClient {
  private readonly base: string;

  constructor(private readonly options: FieldApiClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** The token subject's notes (any access but `denied` and `locked`). */
  async listNotes(): Promise<ServerNote[]> {
    await this.gate(false);
    const answer = await this.authorized('GET', '/v1/notes', undefined, {});
    if (answer.status !== 200 || !isPlainObject(answer.body) || !Array.isArray(answer.body.notes)) throw this.unexpected(answer);
    const notes = answer.body.notes.map(serverNote);
    if (notes.some((n) => n === undefined)) throw this.unexpected(answer);
    return notes as ServerNote[];
  }

  /** Stores a note (full access only). */
  async putNote(uuid: string, request: PutNoteRequest): Promise<PutNoteResult> {
    await this.gate(true);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey };
    if (request.baseVersion === null) headers['if-none-match'] = '*';
    else headers['if-match'] = `"${request.baseVersion}"`;
    const body = JSON.stringify({ title: request.title, text: request.text });
    const answer = await this.authorized('PUT', `/v1/notes/${encodeURIComponent(uuid)}`, body, headers, true);
    if (answer.status === 200 || answer.status === 201) {
      const note = serverNote(answer.body);
      if (!note || note.id !== uuid) throw this.unexpected(answer);
      return { kind: 'stored', created: answer.status === 201, note };
    }
    if (answer.status === 412) {
      const note = isPlainObject(answer.body) && answer.body.note !== undefined ? serverNote(answer.body.note) : undefined;
      return { kind: 'conflict', note };
    }
    const error = isPlainObject(answer.body) && typeof answer.body.error === 'string' ? answer.body.error : `http_${answer.status}`;
    return { kind: 'refused', status: answer.status, error };
  }

  /** The highest audit checkpoint this device sent for the token's subject; undefined when none (404). */
  async getAuditCheckpoint(deviceId: string): Promise<AuditCheckpoint | undefined> {
    await this.gate(false);
    const answer = await this.authorized('GET', checkpointPath(deviceId), undefined, {});
    if (answer.status === 404) return undefined;
    const checkpoint = answer.status === 200 ? auditCheckpoint(answer.body) : undefined;
    if (!checkpoint) throw this.unexpected(answer);
    return checkpoint;
  }

  /** Sends the chain's head (any access but `denied` and `locked`: the anchor is evidence, not a change). */
  async postAuditCheckpoint(deviceId: string, head: AuditCheckpoint): Promise<PostCheckpointResult> {
    await this.gate(false);
    const body = JSON.stringify({ seq: head.seq, hash: head.hash });
    const answer = await this.authorized('POST', checkpointPath(deviceId), body, { 'content-type': 'application/json' });
    if ((answer.status === 200 || answer.status === 201) && auditCheckpoint(answer.body))
      return { kind: 'recorded', created: answer.status === 201 };
    if (answer.status === 409 && isPlainObject(answer.body) && typeof answer.body.error === 'string') {
      const current = auditCheckpoint(answer.body.current);
      if (current) return { kind: 'conflict', error: answer.body.error, current };
    }
    throw this.unexpected(answer);
  }

  /** Refuses a call the account's access does not allow now. */
  private async gate(write: boolean): Promise<void> {
    const access = await this.options.credentials.access();
    if (access === 'full' || (access === 'read-only' && !write)) return;
    if (access === 'read-only')
      throw new ApiError('read_only', 'Read-only: changes wait on this laptop until the next check-in gives full access again.');
    if (access === 'denied') throw new ApiError('connection_required', 'Offline access has ended: connect to the network to sync.');
    throw notUnlocked();
  }

  /** Sends with a token that is not expired; on an invalid_token challenge, refreshes once and sends again. */
  private async authorized(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    write = false,
  ): Promise<Answer> {
    let token = await this.freshToken();
    let answer = await this.send(method, path, body, { ...headers, authorization: `Bearer ${token}` });
    if (answer.status === 401 && isInvalidTokenChallenge(answer.headers.get('www-authenticate'))) {
      await this.refresh();
      if (write) await this.gate(true); // the refresh re-decided access (a revoked or read-only account writes nothing)
      token = this.currentToken();
      answer = await this.send(method, path, body, { ...headers, authorization: `Bearer ${token}` });
      if (answer.status === 401) throw new ApiError('api_unauthorized', 'The Field API refused the access token even after a refresh.');
    }
    if (answer.status === 401) throw new ApiError('api_unauthorized', 'The Field API refused the request without asking for a new token.');
    if (answer.status >= 500) {
      throw new ApiError('api_unavailable', `The Field API is not available now (HTTP ${answer.status}); FieldKey tries again later.`);
    }
    return answer;
  }

  private async freshToken(): Promise<string> {
    const { accessToken, expiresAt } = this.tokens();
    const now = this.options.clock.now().getTime() / 1000;
    // Without a known expiry (an IdP that sent no expires_in) the token goes as it is; a 401 then refreshes it.
    if (accessToken && (expiresAt === undefined || expiresAt - EXPIRY_MARGIN_S > now)) return accessToken;
    await this.refresh();
    return this.currentToken();
  }

  private currentToken(): string {
    const { accessToken } = this.tokens();
    if (!accessToken) throw new ApiError('api_unauthorized', 'The session holds no access token for the Field API.');
    return accessToken;
  }

  private tokens(): { accessToken?: string; expiresAt?: number } {
    try {
      return this.options.credentials.tokens();
    } catch {
      throw notUnlocked();
    }
  }

  private async refresh(): Promise<void> {
    const outcome = await this.options.credentials.refresh();
    if (outcome.ok) return;
    if (outcome.offline)
      throw new ApiError('idp_unreachable', 'A fresh access token is needed and the sign-in service is out of reach; nothing was sent.');
    throw new ApiError(
      'api_unauthorized',
      outcome.revoked ? 'The session was ended at the sign-in service.' : 'The sign-in service refused a fresh access token.',
    );
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Answer> {
    const url = `${this.base}${path}`;
    let response: Response;
    try {
      response = await this.options.fetch(url, {
        method,
        headers: { accept: 'application/json', ...headers },
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new ApiError('api_unreachable', `Cannot reach the Field API at ${this.base}.`, { cause });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw new ApiError('api_unreachable', 'The connection to the Field API broke while reading its answer.', { cause });
    }
    if (text.length > MAX_API_RESPONSE_BYTES) throw new ApiError('api_protocol', 'The Field API answer is too large.');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  private unexpected(answer: Answer): ApiError {
    return new ApiError('api_protocol', `The Field API answered HTTP ${answer.status} with a body the contract does not allow.`);
  }
}

/** RFC 6750: `Bearer ..., error="invalid_token"` (the parameter in any position). */
export function isInvalidTokenChallenge(header: string | null): boolean {
  if (!header || !/^\s*bearer\b/i.test(header)) return false;
  return /(?:^|[\s,])error\s*=\s*"?invalid_token"?/i.test(header.replace(/^\s*bearer/i, ''));
}

function notUnlocked(): ApiError {
  return new ApiError('not_unlocked', 'Unlock FieldKey to sync notes.');
}

function checkpointPath(deviceId: string): string {
  return `/v1/devices/${encodeURIComponent(deviceId)}/audit-checkpoints`;
}

/** The seq and hash of an AuditCheckpoint of the contract, or undefined for anything else. */
export function auditCheckpoint(value: unknown): AuditCheckpoint | undefined {
  if (!isPlainObject(value)) return undefined;
  const { seq, hash } = value;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof hash !== 'string' || !/^(?:[0-9a-f]{64}|[0-9a-f]{128})$/.test(hash)) return undefined;
  return { seq, hash };
}

/** A Note of the contract, or undefined for anything else. */
export function serverNote(value: unknown): ServerNote | undefined {
  if (!isPlainObject(value)) return undefined;
  const { id, title, text, version, createdAt, updatedAt } = value;
  if (typeof id !== 'string' || typeof title !== 'string' || typeof text !== 'string') return undefined;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return undefined;
  if (typeof createdAt !== 'string' || typeof updatedAt !== 'string') return undefined;
  return { id, title, text, version, createdAt, updatedAt };
}
