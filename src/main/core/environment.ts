/**
 * Where this install keeps its data and which keychain service it uses. Environment variables let
 * tests and several installs on one machine never collide.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export function dataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FIELDKEY_DATA_DIR) return env.FIELDKEY_DATA_DIR;
  const home = env.HOME ?? homedir();
  switch (platform) {
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'FieldKey');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'FieldKey');
    default:
      return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'fieldkey');
  }
}

/**
 * The log folder (log-file.ts): FIELDKEY_LOG_DIR, else the platform's place for an app's logs:
 * `%LOCALAPPDATA%\FieldKey\logs`, `~/Library/Logs/FieldKey`, `$XDG_STATE_HOME/fieldkey/logs`
 * (default `~/.local/state/fieldkey/logs`).
 */
export function logDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FIELDKEY_LOG_DIR) return env.FIELDKEY_LOG_DIR;
  const home = env.HOME ?? homedir();
  switch (platform) {
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'FieldKey', 'logs');
    case 'darwin':
      return join(home, 'Library', 'Logs', 'FieldKey');
    default:
      return join(env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'fieldkey', 'logs');
  }
}

export function databaseFile(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  return join(dataDir(env, platform), 'fieldkey.db');
}

/** The database and the `-wal` and `-shm` files SQLite keeps beside it in WAL mode. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

export function keychainService(env: Env = process.env): string {
  return env.FIELDKEY_KEYCHAIN_SERVICE || 'FieldKey';
}
