/**
 * Run as its own process by env-proxy-fetch.integration.test.ts: loads the discovery document of
 * the issuer given as the only argument through `envProxyFetch(process.env)`, the web host's fetch,
 * so HTTPS_PROXY and NODE_EXTRA_CA_CERTS are read as a freshly started process reads them.
 * Prints one JSON line: `{"ok":true,"tokenEndpoint":...}` or `{"ok":false,"code":...}`.
 */
import { discover } from '../../../../src/main/core/oauth/discovery';
import { envProxyFetch } from '../../../../src/main/adapters/http/env-proxy-fetch';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';

const issuer = process.argv[2]!;
const policy = withDefaults({ issuer, clientId: 'fieldkey-desktop' });
const cache = { save: () => undefined, load: () => undefined };
try {
  const metadata = await discover({ policy, http: { fetch: envProxyFetch(process.env), timeoutMs: 10_000 }, cache });
  process.stdout.write(JSON.stringify({ ok: true, tokenEndpoint: metadata.tokenEndpoint }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, code: (error as { code?: string }).code ?? String(error) }) + '\n');
}
process.exit(0);
