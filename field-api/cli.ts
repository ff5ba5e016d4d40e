/**
 * `npm run api -- [--port N] [--issuer URL] [--audience AUD] [--jwks-url URL] [--data-dir DIR] [--write-role ROLE] [--log]`
 *
 * Runs the demo Field API in the foreground until Ctrl-C, by default against the demo IdP
 * (`npm run idp`). See field-api/README.md.
 */
import { failUsage, parseFlagsOrExit, runServerCli, stopOnSignal } from '../idp/cli-lifecycle';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_PORT, DEFAULT_WRITE_ROLE, startFieldApi } from './field-api';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA_DIR = join(REPO_ROOT, '.fieldkey-field-api');

const USAGE = `Usage: npm run api -- [options]

  --port N            port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)
  --issuer URL        exact iss of accepted access tokens (default ${DEFAULT_ISSUER}, the demo IdP)
  --audience AUD      exact aud of accepted access tokens (default ${DEFAULT_AUDIENCE})
  --jwks-url URL      the issuer's JWKS (default: jwks_uri from the issuer's discovery document)
  --data-dir DIR      where the SQLite file lives (default ${DEFAULT_DATA_DIR})
  --write-role ROLE   role in the token's roles claim that writing notes needs (default ${DEFAULT_WRITE_ROLE})
  --log               log every request (method, path, status) and every refused token's reason
  --help              show this text
`;

function fail(message: string): never {
  return failUsage(message, USAGE);
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`--${name} must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`--${name} must be an http(s) URL`);
  return value;
}

async function main(): Promise<void> {
  const values = parseFlagsOrExit(
    () =>
      parseArgs({
        options: {
          port: { type: 'string' },
          issuer: { type: 'string' },
          audience: { type: 'string' },
          'jwks-url': { type: 'string' },
          'data-dir': { type: 'string' },
          'write-role': { type: 'string' },
          log: { type: 'boolean', default: false },
          help: { type: 'boolean', default: false },
        },
        strict: true,
        allowPositionals: false,
      }),
    USAGE,
  );
  if (!values) return;
  const portText = values.port ?? String(DEFAULT_PORT);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail('--port must be an integer from 0 to 65535');
  if (values.audience === '') fail('--audience must not be empty');
  if (values['write-role'] === '') fail('--write-role must not be empty');
  const issuer = values.issuer ?? DEFAULT_ISSUER;
  if (issuer === '') fail('--issuer must not be empty');
  const jwksUrl = httpUrl('jwks-url', values['jwks-url']);
  // A bare-name issuer (FusionAuth's default) has no discovery document to find the JWKS in.
  if (!jwksUrl) httpUrl('issuer', issuer);

  const log = (line: string): void => {
    process.stderr.write(`[field-api ${new Date().toISOString()}] ${line}\n`);
  };
  const api = await startFieldApi({
    port: Number(portText),
    issuer,
    audience: values.audience ?? DEFAULT_AUDIENCE,
    ...(jwksUrl ? { jwksUrl } : {}),
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
    writeRole: values['write-role'] ?? DEFAULT_WRITE_ROLE,
    log,
    logRequests: values.log,
  });

  process.stdout.write(
    [
      `FieldKey demo Field API listening on ${api.url}`,
      `  tokens        iss ${api.issuer}, aud ${api.audience}, keys from ${jwksUrl ?? "the issuer's discovery document"}`,
      `  writes need   the ${api.writeRole} role`,
      `  data dir      ${api.dataDir}`,
      `  contract      field-api/openapi.json`,
      '',
    ].join('\n'),
  );

  stopOnSignal(() => api.stop(), log);
}

runServerCli(main, 'Field API');
