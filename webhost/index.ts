/**
 * `npm run web [-- --port N] [--renderer-dir DIR]`: the FieldKey DEVELOPMENT web host (see
 * web-host.ts). Not part of the shipped app. Serves the built renderer (out/renderer: run
 * `npm run build` first; end-to-end tests pass their own build) to a browser on 127.0.0.1 and
 * runs the real main-process services in this Node process: the policy (FIELDKEY_POLICY), the data
 * directory (FIELDKEY_DATA_DIR), the OS keychain (FIELDKEY_KEYCHAIN_SERVICE). With no policy
 * configured it also starts the local demo IdP, as `npm start` does.
 *
 * The first line of output ends with the URL to open, including this run's secret.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/main/core/clock';
import { dataDir, keychainService } from '../src/main/core/environment';
import { openLogFile } from '../src/main/adapters/logging/log-file';
import { envProxyFetch } from '../src/main/adapters/http/env-proxy-fetch';
import { createAuthService } from '../src/main/core/auth/auth-service';
import { startAppRuntime } from '../src/main/app/app-runtime';
import { startDemoIdpForDemoPolicy } from '../src/main/app/demo-idp-launcher';
import { bundlePageBridge } from './page-bridge-bundle';
import { createWebSignInOpener, listenOnLoopback, originOfServer, startWebHost } from './web-host';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEFAULT_RENDERER_DIR = join(ROOT, 'out', 'renderer');

function fail(message: string): never {
  process.stderr.write(`fieldkey web host: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): { port: number; rendererDir: string } {
  let values: { port?: string; 'renderer-dir'?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, 'renderer-dir': { type: 'string' } }, strict: true }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\nusage: npm run web -- [--port N] [--renderer-dir DIR]`);
  }
  const rendererDir = resolve(values['renderer-dir'] ?? DEFAULT_RENDERER_DIR);
  if (values.port === undefined) return { port: 0, rendererDir };
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) fail('--port must be a number from 0 to 65535');
  return { port: Number(values.port), rendererDir };
}

async function main(): Promise<void> {
  const { port, rendererDir } = parseOptions(process.argv.slice(2));
  if (!existsSync(join(rendererDir, 'index.html'))) fail(`the renderer is not built (${rendererDir}); run \`npm run build\` first`);
  const env = process.env;
  const platform = process.platform;
  // Log lines go to the log file at once; on stdout they wait until the first line (the URL) is out.
  const logFile = openLogFile(env, platform);
  logFile.info(`FieldKey development web host starting (Node ${process.versions.node}, ${platform} ${process.arch})`);
  let early: string[] | undefined = [];
  const log = (line: string): void => {
    logFile.info(line);
    if (early) early.push(line);
    else process.stdout.write(`  ${line}\n`);
  };

  const server = await listenOnLoopback(port);
  const origin = originOfServer(server);
  const demoIdp = await startDemoIdpForDemoPolicy({ env, platform, log });
  const { openSignInPage, calls } = createWebSignInOpener();
  const runtime = await startAppRuntime({
    env,
    platform,
    clock: systemClock,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY and NODE_EXTRA_CA_CERTS, as command-line tools do.
    fetch: envProxyFetch(env),
    log,
    createAuthService,
    openSignInPage,
    allowedOrigins: [origin],
  });
  const host = startWebHost({ runtime, calls, server, rendererDir, bridgeSource: await bundlePageBridge() });

  // First line: the URL with its secret, last. Tests and people read it from there.
  process.stdout.write(`FieldKey development web host (a development tool, not the app): open ${host.url}\n`);
  process.stdout.write(`  policy: ${env.FIELDKEY_POLICY || '(machine-wide or built-in demo policy)'}\n`);
  process.stdout.write(`  data: ${dataDir(env, platform)}  keychain service: ${keychainService(env)}  log: ${logFile.file}\n`);
  if (env.FIELDKEY_KEYRING_HOME)
    process.stdout.write('  keychain: a private keyring for this run (scripts/with-keyring.sh), discarded when the host stops\n');
  for (const line of early) process.stdout.write(`  ${line}\n`);
  early = undefined;

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([host.close(), runtime.close(), demoIdp?.stop()]).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});
