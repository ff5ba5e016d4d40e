/** An in-memory PolicyFileSystem for loader tests: paths map to contents, modes or errors. */
import type { PolicyFileSystem } from '../../../../src/main/core/policy/policy-file-system';

export interface FakeFile {
  content: string | Uint8Array;
  mode?: number;
  /** Owner user id; default 0 (root). */
  uid?: number;
  /** Make reading fail with this Node error code (EACCES...). */
  error?: string;
}

export function fakePolicyFs(files: Record<string, string | Uint8Array | FakeFile>): PolicyFileSystem & { reads: string[] } {
  const reads: string[] = [];
  const entry = (path: string): FakeFile | undefined => {
    const f = files[path];
    if (f === undefined) return undefined;
    return typeof f === 'string' || f instanceof Uint8Array ? { content: f } : f;
  };
  const enoent = (path: string): Error => Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return {
    reads,
    readFile(path) {
      reads.push(path);
      const f = entry(path);
      if (!f) throw enoent(path);
      if (f.error) throw Object.assign(new Error(`${f.error}: ${path}`), { code: f.error });
      return typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content;
    },
    exists: (path) => entry(path) !== undefined,
    stat(path) {
      const f = entry(path);
      if (!f) throw enoent(path);
      return { uid: f.uid ?? 0, mode: f.mode ?? 0o100644 };
    },
  };
}
