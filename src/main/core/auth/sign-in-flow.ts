/**
 * A browser sign-in as the app runs it: the OAuth client's `startSignIn` (discovery, PKCE, loopback
 * listener, code exchange, ID token and offline-token checks), but the system browser is opened by
 * the app, not here: `beginBrowserSignIn` resolves with the authorization URL once the listener is
 * up, and `result` settles when the browser comes back (or on cancel, timeout, refusal).
 *
 * The result's tokens are held by the caller in main-process memory until the PIN is set; nothing
 * is written before that, so a crash in between loses only the sign-in.
 */
import type { SignInStarted } from './auth-service-port';
import { FieldKeyError, isNoConnection } from '../../../shared/errors';
import { cachedMetadata } from '../oauth/discovery';
import type { RefusalReason } from '../oauth/loopback-redirect';
import { startSignIn, type SignInResult } from '../oauth/sign-in';
import type { IdpClient } from './idp-client';

export interface BrowserSignIn {
  started: SignInStarted;
  result: Promise<SignInResult>;
  cancel(): void;
}

export interface BrowserSignInOptions {
  loginHint?: string;
  timeoutMs?: number;
  onRefused?: (reason: RefusalReason) => void;
}

export async function beginBrowserSignIn(
  idp: Pick<IdpClient, 'signInDeps' | 'policy' | 'discoveryCache'>,
  options: BrowserSignInOptions = {},
): Promise<BrowserSignIn> {
  let urlReady!: (url: string) => void;
  const url = new Promise<string>((resolve) => {
    urlReady = resolve;
  });
  const pending = startSignIn(
    idp.signInDeps(async (authorizationUrl) => urlReady(authorizationUrl)),
    {
      ...(options.loginHint ? { loginHint: options.loginHint } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    },
  );
  let authorizationUrl: string;
  try {
    authorizationUrl = await Promise.race([url, pending.result.then(() => url)]);
  } catch (error) {
    pending.cancel();
    throw unreachable(error);
  }
  return {
    started: { authorizationUrl, authorizationEndpoint: authorizationEndpointOf(idp, authorizationUrl) },
    result: pending.result,
    cancel: () => pending.cancel(),
  };
}

/** The endpoint the URL was built on, as discovery (just cached) or the policy names it. */
function authorizationEndpointOf(idp: Pick<IdpClient, 'policy' | 'discoveryCache'>, authorizationUrl: string): string {
  const metadata = cachedMetadata({ policy: idp.policy, cache: idp.discoveryCache });
  if (metadata) return metadata.authorizationEndpoint;
  const url = new URL(authorizationUrl);
  return `${url.origin}${url.pathname}`;
}

/** "No connection" while starting is `idp_unreachable`, said in words the technician can act on. */
export function unreachable(error: unknown): unknown {
  if (isNoConnection(error)) {
    return new FieldKeyError('idp_unreachable', 'FieldKey cannot reach the sign-in service. Check the network connection and try again.', {
      cause: error,
    });
  }
  return error;
}
