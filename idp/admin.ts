import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSigningAlg, type SigningAlg } from './signing-keys';

/**
 * The demo IdP's admin route, for demos and tests that run it as a separate process:
 *   POST /admin/rotate-keys[?alg=RS256|ES256|EdDSA]   Authorization: Bearer <admin secret>
 * The secret is random per run and written (0600) to `<dataDir>/admin-secret`; the server listens
 * on 127.0.0.1 only. A bearer header, unlike a cookie, is never sent by a browser on its own, so a
 * web page cannot trigger a rotation.
 */
export const ADMIN_ROTATE_PATH = '/admin/rotate-keys';

export interface AdminOptions {
  secret: string;
  rotate(alg?: SigningAlg): Promise<{ kid: string; alg: SigningAlg }>;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra });
  res.end(`${JSON.stringify(body)}\n`);
}

function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, options: AdminOptions): Promise<void> {
  if (url.pathname !== ADMIN_ROTATE_PATH) {
    json(res, 404, { error: 'not_found' });
    return;
  }
  if (req.method !== 'POST') {
    json(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    return;
  }
  const header = req.headers.authorization ?? '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (!presented || !sameSecret(presented, options.secret)) {
    json(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="fieldkey-demo-idp-admin"' });
    return;
  }
  const alg = url.searchParams.get('alg');
  if (alg !== null && !isSigningAlg(alg)) {
    json(res, 400, { error: 'invalid_alg', allowed: ['RS256', 'ES256', 'EdDSA'] });
    return;
  }
  const rotated = await options.rotate(alg ?? undefined);
  json(res, 200, rotated);
}
