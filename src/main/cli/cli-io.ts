/** What a CLI command receives: its streams and environment, so tests can run it in-process. */
import type { PolicyLoadOptions } from '../core/auth/configuration';
import type { ErrorCode, ErrorData } from '../../shared/errors';
import type { Env } from '../core/environment';

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Env;
  /**
   * How the host that runs the CLI loads the policy: the packaged app passes the options its window
   * uses (`allowDemo: false`), so `policy check` and `doctor` judge the policy as the app does.
   * Default: a development run (the demo policy is allowed).
   */
  policyOptions?: PolicyLoadOptions;
  /** FieldKey's version, as the entry point knows it (the packaged app's, or package.json's). */
  appVersion?: string;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

/** Exit status for usage or configuration errors, shared by every command. */
export const EXIT_USAGE = 2;

/** The `code` of a command-line mistake (unknown option, missing argument) under `--json`. */
export const USAGE_ERROR: ErrorCode = 'usage_error';

export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text + '\n');
}

/**
 * A command's error: under `--json`, `{ "error": { "code", "message" } }` on stdout (one line, for
 * scripts); otherwise `<prefix>: <message>` on stderr, then the usage text when given.
 */
export function writeError(io: CliIo, json: boolean, prefix: string, error: ErrorData, usage?: string): void {
  if (json) writeLine(io.stdout, JSON.stringify({ error: { code: error.code, message: error.message } }));
  else writeLine(io.stderr, `${prefix}: ${error.message}${usage ? `\n\n${usage}` : ''}`);
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
