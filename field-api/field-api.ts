/**
 * The demo Field API (development only, never packaged): the resource server FieldKey's access
 * tokens are used against. Fastify on 127.0.0.1, the routes and their request schemas taken from
 * field-api/openapi.json, bearer tokens checked by access-tokens.ts, data per token subject in
 * SQLite (field-store.ts). `npm run api` runs it alone (field-api/cli.ts); `npm start` and the web
 * host start it beside the demo IdP.
 */
import { join, resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { trackConnections } from '../idp/connections';
import { ensurePrivateDir } from '../idp/private-files';
import { createAccessTokenVerifier, InvalidTokenError, VerificationUnavailableError, type VerifiedAccessToken } from './access-tokens';
import { openFieldStore, etagOf, type FieldStore, type Precondition } from './field-store';
import { routeDefinitions } from './openapi-routes';

export { ALLOWED_ALGS, CLOCK_TOLERANCE_SECONDS } from './access-tokens';

export const DEFAULT_PORT = 9021;
/** The demo IdP's issuer (idp/demo-idp.ts, default port). */
export const DEFAULT_ISSUER = 'http://127.0.0.1:9011';
export const DEFAULT_AUDIENCE = 'fieldkey-desktop';
export const DEFAULT_WRITE_ROLE = 'technician';
const LOOPBACK = '127.0.0.1';
const REALM = 'fieldkey-field-api';

export interface FieldApiOptions {
  /** Where the SQLite file lives; created (0700) if missing. */
  dataDir: string;
  /** Port on 127.0.0.1; 0 picks a free one. Default 9021. */
  port?: number;
  /** Exact `iss` of accepted tokens. Default the demo IdP, `http://127.0.0.1:9011`. */
  issuer?: string;
  /** Exact `aud` of accepted tokens. Default `fieldkey-desktop`. */
  audience?: string;
  /** The issuer's JWKS. Default: `jwks_uri` from the issuer's discovery document (fetched on first use). */
  jwksUrl?: string;
  /** Role (in the token's `roles` claim) that writing notes needs. Default `technician`. */
  writeRole?: string;
  /** Accepted signing algorithms, a subset of ALLOWED_ALGS. Default all of them. */
  algorithms?: readonly string[];
  /** Minimum time between two JWKS fetches caused by unknown kids. Default 10 s. */
  jwksCooldownMs?: number;
  /** One line per notable event (and per request when `logRequests`). Never a token. Default: silent. */
  log?: (line: string) => void;
  logRequests?: boolean;
}

export interface FieldApi {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly issuer: string;
  readonly audience: string;
  readonly writeRole: string;
  /** Close the listener, every open connection and the store. Idempotent. */
  stop(): Promise<void>;
}

type Handler = (request: FastifyRequest, reply: FastifyReply, caller: VerifiedAccessToken) => unknown;

function sendError(reply: FastifyReply, status: number, error: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).send({ error, message, ...extra });
}

/** Text safe inside a quoted header parameter (our own messages; nothing from the request). */
function quotable(value: string): string {
  return value.replace(/["\\]/g, '');
}

function preconditionOf(ifMatch: string | undefined, ifNoneMatch: string | undefined): Precondition | undefined {
  if ((ifMatch === undefined) === (ifNoneMatch === undefined)) return undefined;
  if (ifNoneMatch !== undefined) return { kind: 'create' };
  return { kind: 'update', version: Number((ifMatch as string).slice(1, -1)) };
}

function handlers(store: FieldStore): Record<string, Handler> {
  return {
    listNotes: (_request, _reply, caller) => ({ notes: store.listNotes(caller.sub) }),

    putNote(request, reply, caller) {
      const { id } = request.params as { id: string };
      const body = request.body as { title: string; text: string };
      const headers = request.headers as Record<string, string | undefined>;
      const precondition = preconditionOf(headers['if-match'], headers['if-none-match']);
      if (!precondition) {
        return sendError(
          reply,
          428,
          'precondition_required',
          'send exactly one of If-None-Match: * (create) or If-Match: "<version>" (update)',
        );
      }
      const outcome = store.putNote(caller.sub, {
        id,
        title: body.title,
        text: body.text,
        precondition,
        idempotencyKey: headers['idempotency-key'] as string,
      });
      switch (outcome.kind) {
        case 'written':
        case 'replayed':
          return reply.code(outcome.answer.status).header('ETag', outcome.answer.etag).send(outcome.answer.body);
        case 'key_reused':
          return sendError(reply, 422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
        case 'precondition_failed': {
          const { current } = outcome;
          if (current) reply.header('ETag', etagOf(current.version));
          const message = current ? `the note is at version ${current.version}` : 'there is no note with this id to update';
          return sendError(reply, 412, 'precondition_failed', message, current ? { note: current } : {});
        }
      }
    },

    getAuditCheckpoint(request, reply, caller) {
      const { deviceId } = request.params as { deviceId: string };
      const checkpoint = store.latestCheckpoint(caller.sub, deviceId);
      return checkpoint ?? sendError(reply, 404, 'no_checkpoint', 'this device has recorded no audit checkpoint');
    },

    postAuditCheckpoint(request, reply, caller) {
      const { deviceId } = request.params as { deviceId: string };
      const { seq, hash } = request.body as { seq: number; hash: string };
      const outcome = store.recordCheckpoint(caller.sub, deviceId, seq, hash);
      switch (outcome.kind) {
        case 'recorded':
          return reply.code(201).send(outcome.checkpoint);
        case 'unchanged':
          return reply.code(200).send(outcome.checkpoint);
        case 'regressed':
          return sendError(reply, 409, 'checkpoint_regressed', `seq ${seq} is lower than the recorded ${outcome.current.seq}`, {
            current: outcome.current,
          });
        case 'mismatch':
          return sendError(reply, 409, 'checkpoint_mismatch', `seq ${seq} was recorded with another hash`, { current: outcome.current });
      }
    },
  };
}

/** Operations that change notes need the write role; everything else any valid token. */
const NEEDS_WRITE_ROLE = new Set(['putNote']);

const VALIDATION_CODES: Record<string, string> = {
  body: 'invalid_body',
  headers: 'invalid_header',
  params: 'invalid_path',
  querystring: 'invalid_query',
};

export async function startFieldApi(options: FieldApiOptions): Promise<FieldApi> {
  const dataDir = resolve(options.dataDir);
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const writeRole = options.writeRole ?? DEFAULT_WRITE_ROLE;
  if (!writeRole) throw new Error('writeRole must not be empty');
  const log = options.log ?? (() => {});
  const verifier = createAccessTokenVerifier({
    issuer,
    audience,
    ...(options.jwksUrl ? { jwksUrl: options.jwksUrl } : {}),
    ...(options.algorithms ? { algorithms: options.algorithms } : {}),
    ...(options.jwksCooldownMs !== undefined ? { jwksCooldownMs: options.jwksCooldownMs } : {}),
  });

  ensurePrivateDir(dataDir);
  const store = openFieldStore(join(dataDir, 'field-api.sqlite'));

  const app = Fastify({
    logger: false,
    // Device ids may be up to 128 characters: let the schema, not the router, refuse longer ones.
    routerOptions: { maxParamLength: 256 },
    // Refuse what the schema does not allow instead of quietly repairing it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
  // JSON only: a text/plain body is an unsupported media type, not a string to validate.
  app.removeContentTypeParser('text/plain');
  const connections = trackConnections(app.server);
  const callers = new WeakMap<FastifyRequest, VerifiedAccessToken>();

  const refuseToken = (reply: FastifyReply, message: string): FastifyReply =>
    reply
      .header('WWW-Authenticate', `Bearer realm="${REALM}", error="invalid_token", error_description="${quotable(message)}"`)
      .code(401)
      .send({ error: 'invalid_token', message });

  // An onRequest hook: it answers (and returns the reply, which ends the request there) or lets
  // the request on to validation and the handler with the verified caller.
  const authenticate =
    (operationId: string) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
      if (!match?.[1]) return refuseToken(reply, 'no bearer token');
      let caller: VerifiedAccessToken;
      try {
        caller = await verifier.verify(match[1]);
      } catch (error) {
        if (error instanceof InvalidTokenError) {
          if (options.logRequests) log(`refused a token: ${error.message}`);
          return refuseToken(reply, error.message);
        }
        const message = error instanceof VerificationUnavailableError ? error.message : 'the token could not be checked';
        log(`token check unavailable: ${message}`);
        return reply.header('Retry-After', '5').code(503).send({ error: 'token_verification_unavailable', message });
      }
      if (NEEDS_WRITE_ROLE.has(operationId) && !caller.roles.includes(writeRole)) {
        return sendError(reply, 403, 'insufficient_role', `changing notes needs the ${writeRole} role`);
      }
      callers.set(request, caller);
      return undefined;
    };

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
  });
  if (options.logRequests) {
    app.addHook('onResponse', async (request, reply) => {
      log(`${request.method} ${request.url.split('?')[0]} ${reply.statusCode}`);
    });
  }

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      return sendError(reply, 400, VALIDATION_CODES[error.validationContext ?? ''] ?? 'invalid_request', error.message);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendError(reply, 415, 'unsupported_media_type', 'send the body as application/json');
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'body_too_large', 'the body is too large');
    if (error.statusCode === 400) return sendError(reply, 400, 'invalid_body', 'the body is not valid JSON');
    log(`request failed: ${error.message}`);
    return sendError(reply, 500, 'internal_error', 'the request failed on the server');
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such route'));

  const byOperation = handlers(store);
  const routes = routeDefinitions();
  for (const route of routes) {
    const handle = byOperation[route.operationId];
    if (!handle) throw new Error(`the OpenAPI operation ${route.operationId} has no handler`);
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      onRequest: authenticate(route.operationId),
      handler: (request, reply) => handle(request, reply, callers.get(request) as VerifiedAccessToken),
    });
  }
  const missing = Object.keys(byOperation).filter((id) => !routes.some((route) => route.operationId === id));
  if (missing.length > 0) throw new Error(`handlers without an OpenAPI operation: ${missing.join(', ')}`);

  let port: number;
  try {
    await app.listen({ port: options.port ?? DEFAULT_PORT, host: LOOPBACK });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  } catch (error) {
    store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`port ${options.port ?? DEFAULT_PORT} on ${LOOPBACK} is already in use (is another Field API running?)`, {
        cause: error,
      });
    }
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    dataDir,
    issuer,
    audience,
    writeRole,
    stop() {
      stopped ??= (async () => {
        const closed = app.close();
        await connections.closeAll();
        await closed;
        store.close();
      })();
      return stopped;
    },
  };
}
