import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSigningAlg, type SigningAlg } from './signing-keys';
import { isRoleList, MAX_ROLES } from './users';

/**
 * The demo IdP's admin routes, for demos and tests that run it as a separate process:
 *   POST /admin/rotate-keys[?alg=RS256|ES256|EdDSA]               rotate the signing key
 *   GET  /admin/users/<username>/roles                            a user's roles now
 *   PUT  /admin/users/<username>/roles   {"roles": ["technician"]}  replace a user's roles
 * Every one needs `Authorization: Bearer <admin secret>`. The secret is random per run and written
 * (0600) to `<dataDir>/admin-secret`; the server listens on 127.0.0.1 only. A bearer header, unlike a
 * cookie, is never sent by a browser on its own, so a web page cannot call these routes.
 */
export const ADMIN_ROTATE_PATH = '/admin/rotate-keys';
/** `/admin/users/<username>/roles`, the username URL-encoded. */
export function adminUserRolesPath(username: string): string {
  return `/admin/users/${encodeURIComponent(username)}/roles`;
}
const USER_ROLES_PATH = /^\/admin\/users\/([^/]+)\/roles$/;
const MAX_BODY_BYTES = 4096;

export interface AdminOptions {
  secret: string;
  rotate(alg?: SigningAlg): Promise<{ kid: string; alg: SigningAlg }>;
  /** The user's roles now; undefined when there is no such user. */
  rolesOf(username: string): readonly string[] | undefined;
  /** Replace the user's roles; returns them, or undefined when there is no such user. */
  setRoles(username: string, roles: readonly string[]): readonly string[] | undefined;
}

/** Answers with a JSON body (also used by logout-api.ts). */
export function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra });
  res.end(`${JSON.stringify(body)}\n`);
}

function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, res: ServerResponse, secret: string): boolean {
  const header = req.headers.authorization ?? '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (presented && sameSecret(presented, secret)) return true;
  json(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="fieldkey-demo-idp-admin"' });
  return false;
}

/** The request body parsed as JSON; undefined (after answering 400 or 413) when it is not. */
export async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      json(res, 413, { error: 'body_too_large' });
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    json(res, 400, { error: 'invalid_json' });
    return undefined;
  }
}

async function handleRotate(req: IncomingMessage, res: ServerResponse, url: URL, options: AdminOptions): Promise<void> {
  if (req.method !== 'POST') {
    json(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    return;
  }
  if (!authorized(req, res, options.secret)) return;
  const alg = url.searchParams.get('alg');
  if (alg !== null && !isSigningAlg(alg)) {
    json(res, 400, { error: 'invalid_alg', allowed: ['RS256', 'ES256', 'EdDSA'] });
    return;
  }
  const rotated = await options.rotate(alg ?? undefined);
  json(res, 200, rotated);
}

async function handleUserRoles(req: IncomingMessage, res: ServerResponse, username: string, options: AdminOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'PUT') {
    json(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET, PUT' });
    return;
  }
  if (!authorized(req, res, options.secret)) return;
  if (options.rolesOf(username) === undefined) {
    json(res, 404, { error: 'unknown_user' });
    return;
  }
  if (req.method === 'GET') {
    json(res, 200, { username, roles: options.rolesOf(username) });
    return;
  }
  const body = await readJson(req, res);
  if (body === undefined) return;
  const roles = (body as { roles?: unknown } | null)?.roles;
  if (!isRoleList(roles)) {
    json(res, 400, {
      error: 'invalid_roles',
      message: `"roles" must be a list of at most ${MAX_ROLES} distinct names of letters, digits and _ . : -`,
    });
    return;
  }
  json(res, 200, { username, roles: options.setRoles(username, roles) });
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, options: AdminOptions): Promise<void> {
  if (url.pathname === ADMIN_ROTATE_PATH) {
    await handleRotate(req, res, url, options);
    return;
  }
  const rolesPath = USER_ROLES_PATH.exec(url.pathname);
  if (rolesPath?.[1]) {
    let username: string;
    try {
      username = decodeURIComponent(rolesPath[1]);
    } catch {
      json(res, 404, { error: 'not_found' });
      return;
    }
    await handleUserRoles(req, res, username, options);
    return;
  }
  json(res, 404, { error: 'not_found' });
}
