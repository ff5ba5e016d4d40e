/**
 * Serves a built renderer on 127.0.0.1 with the app's real file resolution and security headers
 * (the same CSP the app:// protocol sends: no inline script or style, no connections).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeFor, rendererHeaders, resolveAppPath } from '../../../src/main/app/renderer-files';

export async function serveRenderer(rootDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const file = resolveAppPath(rootDir, req.url ?? '/');
      const type = file && contentTypeFor(file);
      if (!file || !type) {
        res.writeHead(404, rendererHeaders('text/plain'));
        return res.end('Not found');
      }
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        res.writeHead(404, rendererHeaders('text/plain'));
        return res.end('Not found');
      }
      res.writeHead(200, rendererHeaders(type));
      res.end(body);
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
