/**
 * A real HTTP proxy on 127.0.0.1 (the `proxy` package: plain requests and CONNECT tunnels) that
 * records what crossed it, for tests that traffic takes (or skips) the proxy.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy } from 'proxy';

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`: what HTTPS_PROXY / HTTP_PROXY name. */
  readonly url: string;
  /** `CONNECT host:port` for each tunnel, `GET http://...` for each plain request, in order. */
  readonly seen: string[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const server = createProxy(createServer());
  const seen: string[] = [];
  const record = (req: IncomingMessage): void => void seen.push(`${req.method ?? '?'} ${req.url ?? ''}`);
  server.prependListener('request', record);
  server.prependListener('connect', record);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
