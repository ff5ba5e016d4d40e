import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { durably } from '../../../src/main/secrets/durable-write';
import { openDatabase, type Database } from '../../../src/main/storage/database';

describe('durably', () => {
  let dir: string;
  let db: Database;
  const level = () => db.pragma('synchronous', { simple: true });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fieldkey-durable-'));
    db = openDatabase(join(dir, 'fieldkey.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits with synchronous = FULL and restores the connection setting, also after an error', () => {
    db.pragma('synchronous = NORMAL');
    expect(durably(db, () => level())).toBe(2);
    expect(level()).toBe(1);
    expect(() =>
      durably(db, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(level()).toBe(1);
  });

  it('leaves the setting to an enclosing transaction', () => {
    db.pragma('synchronous = NORMAL');
    const seen = db.transaction(() => durably(db, () => level()))();
    expect(seen).toBe(1);
    expect(level()).toBe(1);
  });
});
