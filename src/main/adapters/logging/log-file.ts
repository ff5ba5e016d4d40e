/**
 * FieldKey's log file: one line per event, in the platform's log folder (environment.ts `logDir`),
 * so support can read what happened on a laptop after the fact (`fieldkey doctor --bundle` takes its
 * tail). Each line is `<ISO time> <LEVEL> <text>`; lines below the level (FIELDKEY_LOG_LEVEL: debug,
 * info, warn, error; default info) are not written.
 *
 * Never a secret: every line goes through `redactSecrets` (audit/secret-shapes.ts, the audit log's
 * detector) before it is written, so a token, refresh token, key or PIN that slipped into a message
 * becomes `[redacted]`. Callers still must not log secrets; this is the second line of defence.
 *
 * Rotation is by size, done here rather than by a logging library: `fieldkey.log` grows to
 * `maxBytes` (default 1 MiB), then becomes `fieldkey.1.log` (and `.1` becomes `.2`, ...), keeping
 * `keep` old files (default 3). FieldKey writes a few lines a minute at most, so each line is
 * appended synchronously (it is on disk before the event's next step, even if the app then
 * crashes) with no worker thread or stream to flush at exit; the bundled Electron main process
 * loads no extra files for it. The folder is 0700 and the files 0600 where modes apply. A log that
 * cannot be written never stops the app: the first failure is reported once on stderr.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redactSecrets } from '../../core/audit/secret-shapes';
import { logDir, type Env } from '../../core/environment';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from '../os/private-files';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FILE_NAME = 'fieldkey.log';
export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_KEEP = 3;
/** A line longer than this is cut (a runaway message must not fill the file by itself). */
export const MAX_LINE_CHARS = 4000;

export interface LogFileOptions {
  dir: string;
  level?: LogLevel;
  maxBytes?: number;
  keep?: number;
  now?: () => Date;
  platform?: NodeJS.Platform;
  /** Where the one report of a failing log goes (default: stderr). */
  reportFailure?: (message: string) => void;
}

/** FIELDKEY_LOG_LEVEL when it names a level, else info. */
export function logLevelFrom(env: Env): LogLevel {
  const value = env.FIELDKEY_LOG_LEVEL?.toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : 'info';
}

export class LogFile {
  readonly file: string;
  private readonly level: number;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => Date;
  private readonly platform: NodeJS.Platform;
  private readonly reportFailure: (message: string) => void;
  private size: number | undefined;
  private failed = false;

  constructor(private readonly options: LogFileOptions) {
    this.file = join(options.dir, LOG_FILE_NAME);
    this.level = LOG_LEVELS.indexOf(options.level ?? 'info');
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = options.keep ?? DEFAULT_KEEP;
    this.now = options.now ?? (() => new Date());
    this.platform = options.platform ?? process.platform;
    this.reportFailure = options.reportFailure ?? ((message) => void process.stderr.write(`[fieldkey] ${message}\n`));
  }

  debug(text: string): void {
    this.write('debug', text);
  }

  info(text: string): void {
    this.write('info', text);
  }

  warn(text: string): void {
    this.write('warn', text);
  }

  error(text: string): void {
    this.write('error', text);
  }

  write(level: LogLevel, text: string): void {
    if (LOG_LEVELS.indexOf(level) < this.level) return;
    const line = `${this.now().toISOString()} ${level.toUpperCase()} ${oneLine(redactSecrets(text))}\n`;
    try {
      this.open();
      const bytes = Buffer.byteLength(line);
      if (this.size! > 0 && this.size! + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, line, { mode: PRIVATE_FILE_MODE });
      this.size! += bytes;
    } catch (error) {
      this.size = undefined;
      if (!this.failed) {
        this.failed = true;
        this.reportFailure(
          `the log file ${this.file} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}); logging to it stops.`,
        );
      }
    }
  }

  /** The last `maxBytes` of the log (older files first when the current one is shorter), whole lines only. */
  tail(maxBytes: number): string {
    return tailOfLog(this.options.dir, maxBytes, this.keep);
  }

  private open(): void {
    if (this.size !== undefined) return;
    ensurePrivateDirectory(this.options.dir, this.platform);
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  private rotate(): void {
    rmSync(rotated(this.file, this.keep), { force: true });
    for (let n = this.keep - 1; n >= 1; n--) {
      if (existsSync(rotated(this.file, n))) renameSync(rotated(this.file, n), rotated(this.file, n + 1));
    }
    if (this.keep > 0) renameSync(this.file, rotated(this.file, 1));
    else rmSync(this.file, { force: true });
    this.size = 0;
  }
}

/** `fieldkey.log` → `fieldkey.<n>.log`. */
function rotated(file: string, n: number): string {
  return file.replace(/\.log$/, `.${n}.log`);
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ⏎ ');
  return flat.length > MAX_LINE_CHARS ? `${flat.slice(0, MAX_LINE_CHARS)}…` : flat;
}

/**
 * The last `maxBytes` of the log in `dir` (the current file, preceded by rotated ones while it is
 * shorter), starting at a whole line; '' when there is no log. Reads only the bytes it returns.
 */
export function tailOfLog(dir: string, maxBytes: number, keep = DEFAULT_KEEP): string {
  const current = join(dir, LOG_FILE_NAME);
  const files = [current, ...Array.from({ length: keep }, (_, i) => rotated(current, i + 1))].filter((file) => existsSync(file));
  const parts: string[] = [];
  let budget = maxBytes;
  for (const file of files) {
    if (budget <= 0) break;
    const size = statSync(file).size;
    const take = Math.min(size, budget);
    const buffer = Buffer.alloc(take);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, take, size - take);
    } finally {
      closeSync(fd);
    }
    let text = buffer.toString('utf8');
    if (take < size) text = text.slice(text.indexOf('\n') + 1);
    parts.unshift(text);
    budget -= take;
  }
  return parts.join('');
}

/** The log file of this install: `logDir(env, platform)`, at FIELDKEY_LOG_LEVEL. */
export function openLogFile(env: Env, platform: NodeJS.Platform = process.platform): LogFile {
  return new LogFile({ dir: logDir(env, platform), level: logLevelFrom(env), platform });
}
