/**
 * Running a CLI command in-process with fake streams: captures stdout and stderr (decoded as UTF-8
 * once the command has finished) and its exit code.
 */
import { PassThrough } from 'node:stream';
import type { CliIo, Command } from '../../src/main/cli/cli-io';
import type { Env } from '../../src/main/core/environment';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Env;
  /** Text on stdin, then end of input. Without it stdin stays open and empty. */
  stdin?: string;
  /** The host's policy options (the packaged app passes `{ allowDemo: false }`). */
  policyOptions?: CliIo['policyOptions'];
}

export async function runCli(command: Command, args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  if (options.stdin !== undefined) stdin.end(options.stdin);
  const io: CliIo = {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    ...(options.policyOptions && { policyOptions: options.policyOptions }),
  };
  const code = await command(args, io);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
