import { errors, type Configuration, type ErrorOut, type KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from './login-page';
import type { PrivateSigningJwk, SigningAlg } from './signing-keys';
import type { OidcStore } from './sqlite-adapter';
import { findUserBySub, userClaims, type DemoUser } from './users';

/** The one client the demo IdP knows: FieldKey's desktop app, a public native client. */
export const CLIENT_ID = 'fieldkey-desktop';
export const CLIENT_NAME = 'FieldKey';
/** The resource every access token is issued for (the default; clients need not send `resource`). */
export const API_RESOURCE = 'urn:fieldkey:api';
/** Registered without a port: oidc-provider accepts any port on a loopback redirect for native clients. */
export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

const DAY = 24 * 60 * 60;
/** Sliding: every rotation issues a refresh token with this lifetime from now (FusionAuth's default is 30 days). */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * DAY;
/** The grant behind a chain of refresh tokens lives at most this long (a sliding window with a maximum). */
export const GRANT_TTL_SECONDS = 365 * DAY;

export interface ProviderSettings {
  /** Signs access tokens and ID tokens. */
  alg: SigningAlg;
  accessTokenTtlSeconds: number;
  keys: PrivateSigningJwk[];
  cookieKeys: string[];
  store: OidcStore;
  /** A user's roles now (an admin may change them while the IdP runs). */
  rolesOf(user: DemoUser): readonly string[];
  /** Serve the RFC 7009 revocation endpoint (and list it in discovery). */
  revocation: boolean;
}

async function renderError(ctx: KoaContextWithOIDC, out: ErrorOut): Promise<void> {
  ctx.type = 'html';
  const description = out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : '';
  ctx.body = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>
<body><h1>Sign-in error</h1><p><code>${escapeHtml(out.error)}</code></p>${description}</body></html>
`;
}

/**
 * oidc-provider configuration shaped like a FusionAuth application: JWT access tokens whose `aud`
 * is the client id and that carry `roles`, rotating one-time-use refresh tokens for offline_access
 * (reusing a rotated one revokes the whole grant: oidc-provider's own behaviour; the store's optional
 * reuse grace window, sqlite-adapter.ts, lets the just-rotated one through), PKCE S256 required,
 * revocation, and the RFC 9207 `iss` authorization response parameter (always on in oidc-provider 9).
 */
export function providerConfiguration(settings: ProviderSettings): Configuration {
  const { alg, accessTokenTtlSeconds } = settings;
  return {
    adapter: (name) => settings.store.adapterFor(name),
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: CLIENT_NAME,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: SCOPES.join(' '),
        id_token_signed_response_alg: alg,
      },
    ],
    jwks: { keys: settings.keys },
    cookies: {
      keys: settings.cookieKeys,
      // The IdP runs on plain http on loopback: cookies are not `Secure` (oidc-provider only sets it
      // when the request is https) and SameSite=Lax lets the top-level redirects carry them.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    scopes: [...SCOPES],
    claims: {
      openid: ['sub', 'roles'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Scope claims go into the ID token itself, as FusionAuth does (the access token is for the API,
    // not for userinfo).
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    async findAccount(_ctx, sub) {
      const user = findUserBySub(sub);
      if (!user) return undefined;
      return { accountId: user.sub, claims: async () => userClaims(user, settings.rolesOf(user)) };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const user = findUserBySub(token.accountId);
      return user ? { roles: [...settings.rolesOf(user)] } : undefined;
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError,
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      IdToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
      Grant: GRANT_TTL_SECONDS,
      Session: 14 * DAY,
      Interaction: 60 * 60,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: settings.revocation,
        // A public client may revoke only its own tokens.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx, _client, oneOf) {
          if (oneOf) return oneOf.includes(API_RESOURCE) ? API_RESOURCE : oneOf[0];
          return API_RESOURCE;
        },
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, resourceIndicator) {
          if (resourceIndicator !== API_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: SCOPES.join(' '),
            audience: CLIENT_ID,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtlSeconds,
            jwt: { sign: { alg } },
          };
        },
      },
    },
  };
}
