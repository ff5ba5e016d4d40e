/**
 * A loopback HTTP relay between the app and the demo Field API, for end-to-end tests of what
 * happens in the middle of a push: it forwards every request as it is, and when armed with
 * `holdNextPut`, forwards the next PUT, waits for the API's answer (the server has stored the
 * change), then runs the given step (e.g. SIGKILL the app) and never delivers that answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class ApiGate {
  private held: ((request: string) => Promise<void>) | undefined;
  /** The requests forwarded, as `METHOD path status`. */
  readonly forwarded: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly upstream: () => string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(upstream: () => string): Promise<ApiGate> {
    const relay: { gate?: ApiGate } = {};
    const server = createServer((req, res) => void relay.gate!.relay(req, res));
    relay.gate = new ApiGate(server, upstream);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay.gate;
  }

  /** The next PUT reaches the API; then `step` runs and its answer is never delivered. */
  holdNextPut(step: (request: string) => Promise<void>): void {
    this.held = step;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
    let answer: Response;
    try {
      answer = await fetch(`${this.upstream()}${req.url}`, {
        method: req.method,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
    } catch {
      res.socket?.destroy();
      return;
    }
    const body = Buffer.from(await answer.arrayBuffer());
    this.forwarded.push(`${req.method} ${req.url} ${answer.status}`);
    const step = req.method === 'PUT' ? this.held : undefined;
    if (step) {
      this.held = undefined;
      await step(`${req.method} ${req.url}`);
      res.socket?.destroy();
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') out[name] = value;
    });
    res.writeHead(answer.status, out).end(body);
  }
}
