/**
 * One online sign-in (DESIGN.md section 1, step 1): Authorization Code + PKCE (S256) in the system
 * browser with a loopback redirect (RFC 8252).
 *
 *  1. discovery (must reach the IdP, or use explicit policy endpoints);
 *  2. fresh PKCE verifier, `state` and `nonce` (256 bits each, used for this request only);
 *  3. the loopback listener on 127.0.0.1 (ephemeral or the policy's fixed port);
 *  4. the JWKS fetch starts in the background while the user is in the browser;
 *  5. the authorization URL goes to the injected `openExternal` (the system browser, never a
 *     window of the app): `scope=openid offline_access` + policy extras, `prompt=consent` by
 *     default (oidc-provider issues refresh tokens to native clients only with consent);
 *  6. the callback (state, RFC 9207 `iss`, or the IdP's `error=`), then the code exchange with the
 *     verifier;
 *  7. validation before anything is kept: the token response's shape, the ID token (signature with
 *     the cached JWKS, `iss`, `aud`, `azp`, `nonce`, `exp`, `iat`), and the token that decides
 *     offline access through the offline decision itself;
 *  8. the server time and an online check-in are recorded; the tokens are returned for sealing
 *     (`vault.createSession(accountId, pin, tokens)` once the user has chosen a PIN).
 * `cancel()` at any point closes the listener and ends the sign-in with `sign_in_cancelled`.
 */
import { accountIdFor } from '../accounts/account-id';
import type { AccountIdentity } from '../accounts/account-store';
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Policy } from '../policy/policy-types';
import type { SessionTokens } from '../secrets/session-tokens';
import { discover, type DiscoveryCache, type ProviderMetadata } from './discovery';
import type { HttpOptions } from './http-client';
import { validateIdToken, type IdTokenClaims } from './id-token';
import type { JwksSync, JwksSyncResult } from './jwks-sync';
import { startLoopbackRedirect, type LoopbackRedirect, type RefusalReason } from './loopback-redirect';
import { checkOfflineToken } from './offline-token-check';
import { recordExchange, type TimeRecorder } from './online-check-in';
import { createAuthorizationSecrets, type RandomBytes } from './pkce';
import { postTokenRequest } from './token-endpoint';
import { parseTokenResponse } from './token-response';

export interface SignInDeps {
  policy: Policy;
  http: HttpOptions;
  clock: Clock;
  discoveryCache: DiscoveryCache;
  jwks: JwksSync;
  recorder: TimeRecorder;
  /** Opens the URL in the user's system browser (Electron's `shell.openExternal` in the app). */
  openExternal: (url: string) => Promise<void>;
  /** Randomness for PKCE, state and nonce (tests only; default node:crypto). */
  random?: RandomBytes;
}

export interface SignInOptions {
  /** `prompt` parameter; default `consent`. An empty string sends none. */
  prompt?: string;
  /** `login_hint` for the IdP's form (e.g. the account being re-authenticated). */
  loginHint?: string;
  /** How long to wait for the browser to come back; default 10 minutes. */
  timeoutMs?: number;
  /** Called for each refused request at the listener (audit log); carries no values. */
  onRefused?: (reason: RefusalReason) => void;
}

export interface SignInResult {
  /** `accountIdFor(issuer, sub)`. */
  accountId: string;
  /** For `vault.addAccount`: issuer, sub, display name and email from the ID token. */
  identity: AccountIdentity;
  /** Validated tokens in the sealed session's shape. */
  tokens: SessionTokens;
  /** The verified ID token claims (main process only). */
  claims: IdTokenClaims;
}

export interface PendingSignIn {
  readonly result: Promise<SignInResult>;
  /** Ends the sign-in with `sign_in_cancelled` and closes the listener. Idempotent. */
  cancel(): void;
  /** Requests the listener refused so far (forged callbacks, stray paths), by reason. */
  refused(): Readonly<Record<RefusalReason, number>>;
}

export const DEFAULT_PROMPT = 'consent';

export function startSignIn(deps: SignInDeps, options: SignInOptions = {}): PendingSignIn {
  let cancelled = false;
  let listener: LoopbackRedirect | undefined;
  const noRefusals: Record<RefusalReason, number> = { path: 0, method: 0, host: 0, state: 0, iss: 0, malformed: 0 };
  const checkCancelled = () => {
    if (cancelled) throw new FieldKeyError('sign_in_cancelled', 'The sign-in was cancelled.');
  };

  const run = async (): Promise<SignInResult> => {
    const { policy } = deps;
    const metadata = await discover({ policy, http: deps.http, cache: deps.discoveryCache }, { allowCache: false });
    checkCancelled();
    const secrets = createAuthorizationSecrets(deps.random);
    listener = await startLoopbackRedirect({
      state: secrets.state,
      issuer: policy.issuer,
      requireIss: metadata.issParameterSupported,
      port: redirectPort(policy),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    });
    try {
      checkCancelled();
      const jwksSync: Promise<JwksSyncResult> = deps.jwks.sync('sign-in');
      jwksSync.catch(() => undefined); // awaited below; must not be unhandled if the browser step fails
      const url = authorizationUrl(metadata, policy, listener.redirectUri, secrets, options);
      try {
        await deps.openExternal(url);
      } catch (cause) {
        throw new FieldKeyError('browser_unavailable', 'The system browser could not be opened for the sign-in.', { cause });
      }
      const { code } = await listener.response;
      checkCancelled();

      const answer = await postTokenRequest(
        deps.http,
        deps.clock,
        metadata.tokenEndpoint,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: listener.redirectUri,
          client_id: policy.clientId,
          code_verifier: secrets.codeVerifier,
        }),
      );
      const tokens = parseTokenResponse(answer, { refreshToken: true, idToken: true });
      await jwksSync;
      checkCancelled();

      const now = deps.clock.now();
      const claims = await validateIdToken(tokens.idToken!, { policy, now, nonce: secrets.nonce }, deps.jwks);
      const offlineToken = policy.offlineToken === 'id' ? tokens.idToken! : tokens.accessToken;
      await checkOfflineToken(offlineToken, { policy, now, keys: deps.jwks, subject: claims.sub });
      checkCancelled();

      recordExchange(deps.recorder, { issuer: policy.issuer, sub: claims.sub, answer, idTokenIat: claims.iat });
      return { accountId: accountIdFor(policy.issuer, claims.sub), identity: identityOf(policy.issuer, claims), tokens, claims };
    } finally {
      listener.cancel();
    }
  };

  const result = run();
  result.catch(() => undefined);
  return {
    result,
    cancel: () => {
      cancelled = true;
      listener?.cancel();
    },
    refused: () => listener?.refused() ?? { ...noRefusals },
  };
}

function redirectPort(policy: Policy): number {
  switch (policy.redirect.mode) {
    case 'loopback':
      return 0;
    case 'fixed-port':
      return policy.redirect.port;
    default:
      throw new FieldKeyError(
        'redirect_mode_unsupported',
        'The policy asks for a custom-scheme redirect, which this FieldKey build does not handle; use a loopback redirect.',
      );
  }
}

export function authorizationUrl(
  metadata: ProviderMetadata,
  policy: Policy,
  redirectUri: string,
  secrets: { state: string; nonce: string; codeChallenge: string },
  options: Pick<SignInOptions, 'prompt' | 'loginHint'> = {},
): string {
  const url = new URL(metadata.authorizationEndpoint);
  const scopes = [...new Set(['openid', 'offline_access', ...policy.extraScopes])];
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: policy.clientId,
    redirect_uri: redirectUri,
    scope: scopes.join(' '),
    state: secrets.state,
    nonce: secrets.nonce,
    code_challenge: secrets.codeChallenge,
    code_challenge_method: 'S256',
  };
  const prompt = options.prompt ?? DEFAULT_PROMPT;
  if (prompt) params.prompt = prompt;
  if (options.loginHint) params.login_hint = options.loginHint;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

/** What the lock screen shows: a display name and email from the ID token, bounded. */
function identityOf(issuer: string, claims: IdTokenClaims): AccountIdentity {
  const text = (value: unknown, max: number) => (typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined);
  const email = text(claims.email, 320);
  return {
    issuer,
    subject: claims.sub,
    displayName: text(claims.name, 200) ?? text(claims.preferred_username, 200) ?? email ?? claims.sub.slice(0, 200),
    email: email ?? null,
  };
}
