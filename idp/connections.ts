import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Keeps track of a server's open connections so a stop can close them all and wait until each is
 * really closed, then one more turn of the event loop: an in-process client (a test) then sees its
 * keep-alive sockets end before the stop resolves, instead of sending its next request on a socket
 * the server already dropped.
 */
export function trackConnections(server: Server): { closeAll(): Promise<void> } {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    async closeAll() {
      await Promise.all(
        [...sockets].map(
          (socket) =>
            new Promise<void>((resolveSocket) => {
              socket.once('close', () => resolveSocket());
              socket.destroy();
            }),
        ),
      );
      await new Promise<void>((resolveTick) => setImmediate(resolveTick));
    },
  };
}
