/**
 * Talking OAuth to the demo IdP in tests: PKCE pairs, authorization URLs for its client, form posts
 * to its endpoints, and `DemoIdpTokens`, real tokens for tests of what consumes them (the Field
 * API): Authorization Code + PKCE with the user signing in through headless Chromium
 * (browser-sign-in.ts), a loopback redirect listener on 127.0.0.1 that only says "done", and the
 * code exchange and refreshes at the IdP's token endpoint over HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { DemoIdp } from '../../idp/demo-idp';
import { signInThroughBrowser } from './browser-sign-in';

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * An authorization request to the demo IdP for its client: code flow, `prompt=consent` (so a
 * refresh token is issued), fresh `state` and `nonce`, S256. `params` override those; a parameter set
 * to undefined is left out (tests of refused requests).
 */
export function demoAuthorizationUrl(idp: DemoIdp, redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${idp.issuer}/auth`);
  const all: Record<string, string | undefined> = {
    client_id: idp.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid offline_access',
    prompt: 'consent',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** POSTs a form (token, revocation endpoint) and returns the status and the JSON answer ({} when empty). */
export async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface DemoTokenSet {
  access_token: string;
  refresh_token: string;
  id_token: string;
  expires_in: number;
}

export class DemoIdpTokens {
  private constructor(
    private readonly idp: () => DemoIdp,
    private readonly browser: Browser,
    private readonly callbackServer: Server,
    private readonly redirectUri: string,
  ) {}

  /** `idp` is a getter so a test may restart the IdP between calls. Close it in afterAll. */
  static async start(idp: () => DemoIdp, browser: Browser): Promise<DemoIdpTokens> {
    const server = createServer((req, res) => {
      const ok = (req.url ?? '').startsWith('/callback');
      res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' }).end(ok ? 'done' : 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
    return new DemoIdpTokens(idp, browser, server, redirectUri);
  }

  /** A full sign-in of a demo user (fresh browser context, so the login form is always shown). */
  async signIn(username: string): Promise<DemoTokenSet> {
    const idp = this.idp();
    const user = idp.users.find((candidate) => candidate.username === username);
    if (!user) throw new Error(`no demo user ${username}`);
    const { verifier, challenge } = pkcePair();
    const authorizationUrl = demoAuthorizationUrl(idp, this.redirectUri, { code_challenge: challenge });
    const result = await signInThroughBrowser({ browser: this.browser, authorizationUrl, username, password: user.password });
    const code = result.params.get('code');
    if (!code) throw new Error(`the IdP answered the sign-in with ${result.params.get('error') ?? 'no code'}`);
    return this.tokenRequest({
      grant_type: 'authorization_code',
      client_id: idp.clientId,
      code,
      redirect_uri: this.redirectUri,
      code_verifier: verifier,
    });
  }

  /** A refresh: new tokens carrying the user's roles and the signing key as they are now. */
  refresh(refreshToken: string): Promise<DemoTokenSet> {
    return this.tokenRequest({ grant_type: 'refresh_token', client_id: this.idp().clientId, refresh_token: refreshToken });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.callbackServer.close(() => resolve()));
  }

  private async tokenRequest(form: Record<string, string>): Promise<DemoTokenSet> {
    const { status, body } = await postForm(`${this.idp().issuer}/token`, form);
    const tokens = body as Partial<DemoTokenSet> & { error?: string };
    if (status !== 200 || !tokens.access_token || !tokens.refresh_token || !tokens.id_token) {
      throw new Error(`token endpoint answered ${status} ${tokens.error ?? ''}`.trim());
    }
    return tokens as DemoTokenSet;
  }
}
