/**
 * `npm run idp -- [--port N] [--data-dir DIR] [--access-token-ttl SECONDS] [--alg RS256|ES256|EdDSA]
 *   [--refresh-reuse-grace SECONDS] [--log]`
 *
 * Runs the demo IdP in the foreground until Ctrl-C. SIGUSR2 rotates the signing key (same as
 * `POST /admin/rotate-keys`). See idp/README.md.
 */
import { failUsage, parseFlagsOrExit, runServerCli, stopOnSignal } from './cli-lifecycle';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ADMIN_ROTATE_PATH,
  adminUserRolesPath,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_PORT,
  SIGNING_ALGS,
  isSigningAlg,
  startDemoIdp,
} from './demo-idp';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA_DIR = join(REPO_ROOT, '.fieldkey-idp');
/** A grace window longer than a few minutes would make a stolen rotated refresh token useful. */
const MAX_REFRESH_REUSE_GRACE_SECONDS = 300;

const USAGE = `Usage: npm run idp -- [options]

  --port N                  port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)
  --data-dir DIR            keys and the grant store (default ${DEFAULT_DATA_DIR})
  --access-token-ttl SECS   access and ID token lifetime (default ${DEFAULT_ACCESS_TOKEN_TTL_SECONDS})
  --alg ALG                 signing algorithm: ${SIGNING_ALGS.join(', ')} (default RS256)
  --refresh-reuse-grace SECS
                            a just-rotated refresh token presented again within SECS (0 to 300)
                            gets new tokens instead of revoking its grant (default 0: never)
  --log                     log every request (method, path, status)
  --help                    show this text
`;

function fail(message: string): never {
  return failUsage(message, USAGE);
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name} must be an integer >= ${min}`);
  return Number(value);
}

async function main(): Promise<void> {
  const values = parseFlagsOrExit(
    () =>
      parseArgs({
        options: {
          port: { type: 'string' },
          'data-dir': { type: 'string' },
          'access-token-ttl': { type: 'string' },
          alg: { type: 'string' },
          'refresh-reuse-grace': { type: 'string' },
          log: { type: 'boolean', default: false },
          help: { type: 'boolean', default: false },
        },
        strict: true,
        allowPositionals: false,
      }),
    USAGE,
  );
  if (!values) return;
  const port = integer('port', values.port, DEFAULT_PORT, 0);
  if (port > 65535) fail('--port must be at most 65535');
  const accessTokenTtlSeconds = integer('access-token-ttl', values['access-token-ttl'], DEFAULT_ACCESS_TOKEN_TTL_SECONDS, 1);
  const refreshReuseGraceSeconds = integer('refresh-reuse-grace', values['refresh-reuse-grace'], 0, 0);
  if (refreshReuseGraceSeconds > MAX_REFRESH_REUSE_GRACE_SECONDS)
    fail(`--refresh-reuse-grace must be at most ${MAX_REFRESH_REUSE_GRACE_SECONDS}`);
  const alg = values.alg ?? 'RS256';
  if (!isSigningAlg(alg)) fail(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);

  const log = (line: string): void => {
    process.stderr.write(`[idp ${new Date().toISOString()}] ${line}\n`);
  };
  const idp = await startDemoIdp({
    port,
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
    accessTokenTtlSeconds,
    alg,
    refreshReuseGraceSeconds,
    log,
    logRequests: values.log,
  });

  process.stdout.write(
    [
      `FieldKey demo IdP (oidc-provider) listening on ${idp.issuer}`,
      `  discovery     ${idp.issuer}/.well-known/openid-configuration`,
      `  client id     ${idp.clientId} (public, PKCE S256, redirect ${idp.redirectUri} on any port)`,
      `  signing       ${idp.signingAlg()} (kid ${idp.currentKid()}), access tokens live ${accessTokenTtlSeconds}s`,
      `  refresh reuse ${refreshReuseGraceSeconds > 0 ? `honoured for ${refreshReuseGraceSeconds}s after a rotation` : 'revokes the grant'}`,
      `  data dir      ${idp.dataDir}`,
      `  users         ${idp.users.map((user) => `${user.username}/${user.password} [${user.roles.join(', ')}]`).join('  ')}`,
      `  rotate key    kill -USR2 ${process.pid}   or`,
      `                curl -X POST -H "Authorization: Bearer $(cat ${idp.adminSecretFile})" ${idp.issuer}${ADMIN_ROTATE_PATH}`,
      `  set roles     curl -X PUT -H "Authorization: Bearer $(cat ${idp.adminSecretFile})" -d '{"roles":[]}' ${idp.issuer}${adminUserRolesPath('tech1')}`,
      '',
    ].join('\n'),
  );

  process.on('SIGUSR2', () => {
    idp.rotateSigningKey().catch((error: unknown) => log(`rotation failed: ${String(error)}`));
  });
  stopOnSignal(() => idp.stop(), log);
}

runServerCli(main, 'demo IdP');
