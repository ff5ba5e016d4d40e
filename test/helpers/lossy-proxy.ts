/**
 * A TCP proxy on 127.0.0.1 in front of a server on 127.0.0.1 that can lose answers: armed with
 * `dropNextAnswers(n)`, it forwards each request whole and, as soon as the server starts answering
 * it, closes both connections instead of passing the answer on. The server has done the work (an IdP
 * has rotated the refresh token); the client sees a connection reset. Tests stop it with `close()`.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Lose the next `count` answers (each on its own connection). */
  dropNextAnswers(count: number): void;
  /** Answers lost so far. */
  dropped(): number;
  close(): Promise<void>;
}

export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let toDrop = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): Socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  };
  const server = createServer((client) => {
    track(client);
    const upstream = track(connect(targetPort, '127.0.0.1'));
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (toDrop > 0) {
        toDrop--;
        dropped++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropNextAnswers(count) {
      toDrop = count;
    },
    dropped: () => dropped,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
