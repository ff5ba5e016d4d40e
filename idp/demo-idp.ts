import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';
import { handleAdmin } from './admin';
import { trackConnections } from './connections';
import { handleInteraction } from './interactions';
import { LOGOUT_API_PATH, handleLogoutApi } from './logout-api';
import { ensurePrivateDir, loadOrCreateCookieKeys, writePrivateFile } from './private-files';
import { API_RESOURCE, CLIENT_ID, CLIENT_NAME, REDIRECT_URI, providerConfiguration } from './provider-config';
import { SigningKeyStore, type SigningAlg } from './signing-keys';
import { openOidcStore } from './sqlite-adapter';
import { DEMO_USERS, RoleAssignments, findUserByUsername, type DemoUser } from './users';

export { ADMIN_ROTATE_PATH, adminUserRolesPath } from './admin';
export { API_RESOURCE, CLIENT_ID, REDIRECT_URI } from './provider-config';
export { SIGNING_ALGS, isSigningAlg, type SigningAlg } from './signing-keys';
export { DEMO_USERS, type DemoUser } from './users';

export const DEFAULT_PORT = 9011;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;
const LOOPBACK = '127.0.0.1';
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export interface DemoIdpOptions {
  /** Port on 127.0.0.1; 0 picks a free one (the issuer then names it). Default 9011. */
  port?: number;
  /** Where keys, cookie keys and the SQLite store live; created (0700) if missing. */
  dataDir: string;
  /** Access token and ID token lifetime. Default 900 (15 minutes, like FusionAuth's default). */
  accessTokenTtlSeconds?: number;
  /** Signs access and ID tokens. Default RS256. */
  alg?: SigningAlg;
  /** Receives one line per notable event (and per request when `logRequests`). Default: silent. */
  log?: (line: string) => void;
  logRequests?: boolean;
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of HTTP: the issuer is then
   * `https://127.0.0.1:<port>`. For tests of TLS under a private CA; the CLI always serves HTTP.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Serve the RFC 7009 revocation endpoint and list it in discovery. Default true; false is
   * FusionAuth's discovery, where sign-out goes through the Logout API (`POST /api/logout`), which
   * the demo IdP always serves.
   */
  revocationEndpoint?: boolean;
  /**
   * Seconds during which the refresh token just rotated, presented again, is honoured as the current
   * one of its grant (new tokens) instead of revoking the grant, while the current one is unused:
   * like FusionAuth's one-time-use grace period, for a client that never got the rotation answer.
   * Default 0: every reuse revokes the grant.
   */
  refreshReuseGraceSeconds?: number;
}

export interface DemoIdp {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`), no trailing slash. */
  readonly issuer: string;
  readonly port: number;
  readonly dataDir: string;
  /** `fieldkey-desktop`: also the `aud` of every access token and ID token. */
  readonly clientId: string;
  /** The registered redirect, `http://127.0.0.1/callback`; any port is accepted with it. */
  readonly redirectUri: string;
  /** `urn:fieldkey:api`, the default resource (clients need not send `resource`). */
  readonly resource: string;
  readonly users: readonly DemoUser[];
  /** File holding this run's secret for `POST /admin/rotate-keys` (0600). */
  readonly adminSecretFile: string;
  /** The algorithm new tokens are signed with. */
  signingAlg(): SigningAlg;
  /** The kid new tokens of `alg` (default: the signing alg) are signed with. */
  currentKid(alg?: SigningAlg): string;
  /** The published JWKS (public keys, signing priority order). */
  publicJwks(): { keys: JWK[] };
  /**
   * Generate a new key for `alg` (default: the current signing alg), put it first so new tokens
   * carry its kid, keep the older keys published, and sign from now on with `alg`.
   */
  rotateSigningKey(alg?: SigningAlg): Promise<{ kid: string; alg: SigningAlg }>;
  /** Delete every session, grant and token of a user (by username): their refresh tokens stop working. */
  revokeUser(username: string): number;
  /** A user's roles now (the defaults in `users` until `setUserRoles` changes them). */
  userRoles(username: string): readonly string[];
  /**
   * Replace a user's roles until the IdP stops (`PUT /admin/users/<username>/roles` does the same).
   * Tokens issued from now on (sign-in, refresh) carry them; tokens already issued keep theirs.
   */
  setUserRoles(username: string, roles: readonly string[]): readonly string[];
  /** Close the listener and every open connection, then the store. Idempotent. */
  stop(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${LOOPBACK} is already in use (is another demo IdP running?)`, { cause: error })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, LOOPBACK, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
  return (server.address() as AddressInfo).port;
}

function demoUser(username: string): DemoUser {
  const user = findUserByUsername(username);
  if (!user) throw new Error(`no demo user ${JSON.stringify(username)}`);
  return user;
}

export async function startDemoIdp(options: DemoIdpOptions): Promise<DemoIdp> {
  const dataDir = resolve(options.dataDir);
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  if (!Number.isSafeInteger(accessTokenTtlSeconds) || accessTokenTtlSeconds <= 0) {
    throw new Error('accessTokenTtlSeconds must be a positive integer');
  }
  const refreshReuseGraceSeconds = options.refreshReuseGraceSeconds ?? 0;
  if (!Number.isSafeInteger(refreshReuseGraceSeconds) || refreshReuseGraceSeconds < 0) {
    throw new Error('refreshReuseGraceSeconds must be a non-negative integer');
  }
  const log = options.log ?? (() => {});
  let alg: SigningAlg = options.alg ?? 'RS256';

  ensurePrivateDir(dataDir);
  const keys = await SigningKeyStore.open(dataDir);
  const cookieKeys = loadOrCreateCookieKeys(dataDir);
  const store = openOidcStore(join(dataDir, 'idp.sqlite'), Date.now, { refreshReuseGraceSeconds });
  const adminSecret = randomBytes(32).toString('base64url');
  const adminSecretFile = join(dataDir, 'admin-secret');
  const roles = new RoleAssignments();
  const rolesOf = (user: DemoUser): readonly string[] => roles.rolesOf(user);
  const setRoles = (user: DemoUser, next: readonly string[]): readonly string[] => {
    const assigned = roles.set(user, next);
    log(`roles of ${user.username} set to [${assigned.join(', ')}]`);
    return assigned;
  };
  writePrivateFile(adminSecretFile, `${adminSecret}\n`);

  let current: { provider: Provider; handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> } | undefined;
  let issuer = '';

  // A rebuilt provider is how a new key takes effect: oidc-provider reads `jwks` once, at
  // construction. Everything stateful is in SQLite and the cookie keys are persistent, so sessions,
  // interactions in progress and refresh tokens carry over to the new instance.
  const buildProvider = (): void => {
    const provider = new Provider(
      issuer,
      providerConfiguration({
        alg,
        accessTokenTtlSeconds,
        keys: keys.privateKeys,
        cookieKeys,
        store,
        rolesOf,
        revocation: options.revocationEndpoint ?? true,
      }),
    );
    provider.proxy = false;
    provider.on('server_error', (_ctx: unknown, error: unknown) => {
      log(`server_error: ${error instanceof Error ? error.message : String(error)}`);
    });
    // Emitted before the answer is written, so the link exists before the client could retry.
    provider.on('grant.success', (ctx) => {
      const { RotatedRefreshToken: rotated, RefreshToken: issued } = ctx.oidc.entities;
      if (rotated && issued && rotated.jti !== issued.jti) store.recordRotation(rotated.jti, issued.jti);
    });
    current = { provider, handler: provider.callback() };
  };

  let rotation: Promise<unknown> = Promise.resolve();
  const rotateSigningKey = (nextAlg?: SigningAlg): Promise<{ kid: string; alg: SigningAlg }> => {
    const run = rotation.then(async () => {
      const target = nextAlg ?? alg;
      const kid = await keys.rotate(target);
      alg = target;
      buildProvider();
      log(`rotated ${target} signing key: new kid ${kid}`);
      return { kid, alg: target };
    });
    rotation = run.catch(() => {});
    return run;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (options.logRequests) {
      const path = (req.url ?? '/').split('?')[0];
      res.on('finish', () => log(`${req.method ?? '?'} ${path} ${res.statusCode}`));
    }
    const active = current;
    if (!active) {
      res.writeHead(503).end();
      return;
    }
    const url = new URL(req.url ?? '/', issuer);
    let handling: Promise<void>;
    if (url.pathname.startsWith('/interaction/')) {
      handling = handleInteraction(active.provider, req, res, url.pathname, {
        clientNames: { [CLIENT_ID]: CLIENT_NAME },
        autoConsentClients: new Set([CLIENT_ID]),
        log,
      });
    } else if (url.pathname === LOGOUT_API_PATH) {
      handling = handleLogoutApi(req, res, store, log);
    } else if (url.pathname.startsWith('/admin/')) {
      handling = handleAdmin(req, res, url, {
        secret: adminSecret,
        rotate: rotateSigningKey,
        rolesOf: (username) => {
          const user = findUserByUsername(username);
          return user ? rolesOf(user) : undefined;
        },
        setRoles: (username, next) => {
          const user = findUserByUsername(username);
          return user ? setRoles(user, next) : undefined;
        },
      });
    } else {
      handling = active.handler(req, res);
    }
    handling.catch((error: unknown) => {
      log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  const server: Server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createServer(handle);

  const connections = trackConnections(server);

  let port: number;
  try {
    port = await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    store.close();
    throw error;
  }
  issuer = `${options.tls ? 'https' : 'http'}://${LOOPBACK}:${port}`;
  buildProvider();

  store.sweepExpired();
  const sweeper = setInterval(() => store.sweepExpired(), SWEEP_INTERVAL_MS);
  sweeper.unref();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(sweeper);
      await rotation;
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await connections.closeAll();
      await closed;
      store.close();
    })();
    return stopped;
  };

  return {
    issuer,
    port,
    dataDir,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    resource: API_RESOURCE,
    users: DEMO_USERS,
    adminSecretFile,
    signingAlg: () => alg,
    currentKid: (forAlg) => keys.currentKid(forAlg ?? alg),
    publicJwks: () => ({ keys: keys.publicKeys }),
    rotateSigningKey,
    revokeUser(username) {
      return store.deleteAccount(demoUser(username).sub);
    },
    userRoles: (username) => rolesOf(demoUser(username)),
    setUserRoles: (username, next) => setRoles(demoUser(username), next),
    stop,
  };
}
