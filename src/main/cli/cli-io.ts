/** What a CLI command receives: its streams and environment, so tests can run it in-process. */
import type { Env } from '../core/environment';

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Env;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

/** Exit status for usage or configuration errors, shared by every command. */
export const EXIT_USAGE = 2;

export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text + '\n');
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
