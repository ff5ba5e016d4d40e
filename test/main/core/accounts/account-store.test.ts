import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { AccountStore } from '../../../../src/main/core/accounts/account-store';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { MovableClock } from '../secrets/vault-fixtures';

describe('AccountStore', () => {
  let dir: string;
  let db: Database;
  let clock: MovableClock;
  let store: AccountStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fieldkey-accounts-'));
    db = openDatabase(join(dir, 'fieldkey.db'));
    clock = new MovableClock();
    store = new AccountStore(db, clock);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds an account with its display name and email in clear, and no sub', () => {
    const added = store.upsert({ issuer: 'acme.com', subject: 'sub-123', displayName: 'Alice', email: 'alice@acme.com' }, 3);
    const created = clock.now().getTime();
    expect(added).toEqual({
      id: accountIdFor('acme.com', 'sub-123'),
      issuer: 'acme.com',
      displayName: 'Alice',
      email: 'alice@acme.com',
      createdAt: created,
      updatedAt: created,
    });
    const raw = db.prepare('SELECT * FROM accounts').all();
    expect(JSON.stringify(raw)).not.toContain('sub-123');
  });

  it('updates name and email of an existing account without counting it again', () => {
    store.upsert({ issuer: 'acme.com', subject: 'a', displayName: 'A' }, 1);
    clock.advance(1000);
    const updated = store.upsert({ issuer: 'acme.com', subject: 'a', displayName: 'A. Person', email: 'a@acme.com' }, 1);
    expect(updated).toMatchObject({ displayName: 'A. Person', email: 'a@acme.com' });
    expect(updated.updatedAt - updated.createdAt).toBe(1000);
    expect(store.list()).toHaveLength(1);
  });

  it('refuses a new account beyond the cap, lists in order of creation, and deletes', () => {
    const a = store.upsert({ issuer: 'acme.com', subject: 'a', displayName: 'A' }, 2);
    clock.advance(1);
    const b = store.upsert({ issuer: 'acme.com', subject: 'b', displayName: 'B' }, 2);
    expect(() => store.upsert({ issuer: 'acme.com', subject: 'c', displayName: 'C' }, 2)).toThrow(
      expect.objectContaining({ code: 'too_many_accounts' }),
    );
    expect(store.list().map((x) => x.id)).toEqual([a.id, b.id]);
    expect(store.delete(a.id)).toBe(true);
    expect(store.delete(a.id)).toBe(false);
    expect(store.get(a.id)).toBeUndefined();
    expect(store.upsert({ issuer: 'acme.com', subject: 'c', displayName: 'C' }, 2).displayName).toBe('C');
  });
});
