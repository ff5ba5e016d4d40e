import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Create the data directory (owner-only) if it does not exist. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Write a file readable by its owner only (0600), atomically: a crash leaves the old file or the new
 * one, never half of one. The temporary file is created with 0600 so the secret is never readable by
 * others, not even for a moment.
 */
export function writePrivateFile(file: string, contents: string): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, contents, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
  chmodSync(file, 0o600);
}

export function readJsonFile(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/**
 * The keys oidc-provider signs its cookies with, generated once and kept in the data dir so sessions
 * and in-flight interactions survive a restart.
 */
export function loadOrCreateCookieKeys(dataDir: string): string[] {
  const file = join(dataDir, 'cookie-keys.json');
  if (existsSync(file)) {
    const parsed = readJsonFile(file);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((k) => typeof k === 'string' && k.length >= 32)) {
      return parsed as string[];
    }
    throw new Error(`${file} is not a list of cookie keys; delete it to generate new ones`);
  }
  const keys = [randomBytes(32).toString('base64url')];
  writePrivateFile(file, `${JSON.stringify(keys)}\n`);
  return keys;
}
