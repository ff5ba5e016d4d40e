/**
 * Real tokens from the demo IdP for tests of what consumes them (the Field API): Authorization Code
 * + PKCE with the user signing in through headless Chromium (browser-sign-in.ts), a loopback
 * redirect listener on 127.0.0.1 that only says "done", and the code exchange and refreshes at the
 * IdP's token endpoint over HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { DemoIdp } from '../../idp/demo-idp';
import { signInThroughBrowser } from './browser-sign-in';

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
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: idp.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: 'openid offline_access',
      prompt: 'consent',
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const result = await signInThroughBrowser({ browser: this.browser, authorizationUrl: url.href, username, password: user.password });
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
    const response = await fetch(`${this.idp().issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    const body = (await response.json()) as Partial<DemoTokenSet> & { error?: string };
    if (response.status !== 200 || !body.access_token || !body.refresh_token || !body.id_token) {
      throw new Error(`token endpoint answered ${response.status} ${body.error ?? ''}`.trim());
    }
    return body as DemoTokenSet;
  }
}
