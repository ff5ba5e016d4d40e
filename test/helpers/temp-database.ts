/** A real SQLite file in a fresh temp dir, for storage tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/main/adapters/sqlite/database';

export interface TempDatabase {
  dir: string;
  file: string;
  db: Database;
  cleanup(): void;
}

export function tempDir(prefix = 'fieldkey-storage-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openTempDatabase(): TempDatabase {
  const { dir, cleanup } = tempDir();
  const file = join(dir, 'fieldkey.db');
  const db = openDatabase(file);
  return {
    dir,
    file,
    db,
    cleanup: () => {
      if (db.open) db.close();
      cleanup();
    },
  };
}

/** A clock whose reading the test moves. */
export function movableClock(start: string): { now(): Date; set(iso: string): void; advance(ms: number): void } {
  let at = new Date(start).getTime();
  return {
    now: () => new Date(at),
    set: (iso) => {
      at = new Date(iso).getTime();
    },
    advance: (ms) => {
      at += ms;
    },
  };
}
