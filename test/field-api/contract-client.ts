/**
 * Calls the running Field API over HTTP and checks every answer against the OpenAPI document: the
 * status must be one the operation declares, and a JSON body must match that response's schema
 * (JSON Schema 2020-12, formats checked). A test then asserts the behaviour on top.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { responseSchema } from '../../field-api/openapi-routes';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body whose shape the schema check vouches for
  body: any;
}

export interface CallOptions {
  /** The bearer token; none sends no Authorization header. */
  token?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is (with a JSON content type). */
  body?: unknown;
}

export interface PutNoteOptions {
  key?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction | null>();

function validatorFor(operationId: string, status: number): ValidateFunction | null {
  const key = `${operationId} ${status}`;
  if (!validators.has(key)) {
    const schema = responseSchema(operationId, status);
    validators.set(key, schema ? ajv.compile(schema) : null);
  }
  return validators.get(key) ?? null;
}

export class ContractClient {
  constructor(private readonly baseUrl: () => string) {}

  async call(operationId: string, method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl()}${path}`, { method, headers, body });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    // Throws for a status the operation does not declare.
    const validate = validatorFor(operationId, response.status);
    if (validate && !validate(parsed)) {
      throw new Error(`${operationId} ${response.status} does not match the OpenAPI schema: ${ajv.errorsText(validate.errors)}\n${text}`);
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  listNotes(token?: string): Promise<ApiAnswer> {
    return this.call('listNotes', 'GET', '/v1/notes', token === undefined ? {} : { token });
  }

  putNote(token: string, id: string, body: unknown, options: PutNoteOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    if (options.ifNoneMatch !== undefined) headers['if-none-match'] = options.ifNoneMatch;
    return this.call('putNote', 'PUT', `/v1/notes/${id}`, { token, headers, body });
  }

  getCheckpoint(token: string, deviceId: string): Promise<ApiAnswer> {
    return this.call('getAuditCheckpoint', 'GET', `/v1/devices/${deviceId}/audit-checkpoints`, { token });
  }

  postCheckpoint(token: string, deviceId: string, body: unknown): Promise<ApiAnswer> {
    return this.call('postAuditCheckpoint', 'POST', `/v1/devices/${deviceId}/audit-checkpoints`, { token, body });
  }
}

/** Whether an answer is the refusal of a token: 401, `invalid_token`, and the RFC 6750 challenge. */
export function isInvalidTokenRefusal(answer: ApiAnswer): boolean {
  return (
    answer.status === 401 &&
    answer.body?.error === 'invalid_token' &&
    /^Bearer realm="fieldkey-field-api", error="invalid_token", error_description="[^"]+"$/.test(
      answer.headers.get('www-authenticate') ?? '',
    )
  );
}
