/**
 * The app's `fetch` outside Electron (the command line under Node, the development web host):
 * undici's fetch through an `EnvHttpProxyAgent`, so those processes honour the proxy variables a
 * terminal or a CI job sets, as curl and most command-line tools do:
 * - `HTTPS_PROXY` for https URLs (when unset, `HTTP_PROXY` is used for them too), `HTTP_PROXY` for
 *   http URLs; lower-case names win over upper-case ones; `http://user:password@host:port` works;
 * - `NO_PROXY`: a comma-separated list of hosts (`idp.example.com`, `.example.com`, `10.0.0.1`,
 *   `host:port`) reached directly, or `*` for all.
 * The variables are read from the `env` given (not from `process.env`), once, when the fetch is made.
 *
 * Trust: the agent is given no `ca` of its own, so both direct TLS connections and TLS tunnelled
 * through the proxy (CONNECT) verify the IdP against Node's default store, which includes the
 * certificates of `NODE_EXTRA_CA_CERTS` (Node reads that file when the process starts: a private
 * or TLS-inspecting CA must be set there before the process is launched).
 *
 * The Electron app does not use this: it sends through Chromium (src/main/shell/chromium-fetch.ts),
 * which follows the system proxy settings and the OS certificate store instead.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { Env } from '../../core/environment';
import type { FetchFn } from '../../core/oauth/http-client';

/** The proxy settings `env` gives, as the agent takes them ('' for none). */
export function proxySettings(env: Env): { httpProxy: string; httpsProxy: string; noProxy: string } {
  const pick = (name: string): string => env[name.toLowerCase()] || env[name] || '';
  return { httpProxy: pick('HTTP_PROXY'), httpsProxy: pick('HTTPS_PROXY'), noProxy: pick('NO_PROXY') };
}

export function envProxyFetch(env: Env): FetchFn {
  const dispatcher = new EnvHttpProxyAgent(proxySettings(env));
  return async (input, init) =>
    (await undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as Response;
}
