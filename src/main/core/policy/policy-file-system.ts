/** The few file operations the policy loader needs, injectable so tests never touch /etc. */
import { existsSync, readFileSync, statSync } from 'node:fs';

export interface PolicyFileSystem {
  /** The file's bytes; throws an error with a Node `code` (ENOENT, EACCES, EISDIR...) when it cannot. */
  readFile(path: string): Uint8Array;
  /** True when something exists at `path` (a file, a directory...). */
  exists(path: string): boolean;
  /** Owner and POSIX mode bits (`st_uid`, `st_mode`) of the file at `path`; throws like readFile. */
  stat(path: string): { uid: number; mode: number };
}

export const nodePolicyFileSystem: PolicyFileSystem = {
  readFile: (path) => readFileSync(path),
  exists: (path) => existsSync(path),
  stat: (path) => {
    const { uid, mode } = statSync(path);
    return { uid, mode };
  },
};
