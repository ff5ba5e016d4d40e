/**
 * The `accounts` table: what the lock screen lists in clear (display name and email), keyed by the
 * opaque account id. Everything else about an account lives in its sealed session. Prepared
 * statements only.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Database } from '../../adapters/sqlite/database';
import { accountIdFor } from './account-id';

export interface Account {
  id: string;
  issuer: string;
  displayName: string;
  email: string | null;
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
}

export interface AccountIdentity {
  issuer: string;
  /** The IdP's `sub`; only its digest (the account id) is stored. */
  subject: string;
  displayName: string;
  email?: string | null;
}

interface AccountRow {
  id: string;
  issuer: string;
  display_name: string;
  email: string | null;
  created_at: number;
  updated_at: number;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  issuer: r.issuer,
  displayName: r.display_name,
  email: r.email,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class AccountStore {
  private readonly selectOne;
  private readonly selectAll;
  private readonly countAll;
  private readonly insert;
  private readonly update;
  private readonly remove;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.selectOne = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
    this.selectAll = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, id');
    this.countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM accounts');
    this.insert = db.prepare<[string, string, string, string | null, number, number]>(
      'INSERT INTO accounts (id, issuer, display_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.update = db.prepare<[string, string | null, number, string]>(
      'UPDATE accounts SET display_name = ?, email = ?, updated_at = ? WHERE id = ?',
    );
    this.remove = db.prepare<[string]>('DELETE FROM accounts WHERE id = ?');
  }

  get(id: string): Account | undefined {
    const row = this.selectOne.get(id);
    return row && toAccount(row);
  }

  list(): Account[] {
    return this.selectAll.all().map(toAccount);
  }

  /**
   * Adds the account, or refreshes its display name and email if it exists. A new account beyond
   * `maxAccounts` is refused with `too_many_accounts`.
   */
  upsert(identity: AccountIdentity, maxAccounts: number): Account {
    const id = accountIdFor(identity.issuer, identity.subject);
    const now = this.clock.now().getTime();
    const email = identity.email ?? null;
    const run = this.db.transaction(() => {
      if (this.selectOne.get(id)) {
        this.update.run(identity.displayName, email, now, id);
      } else {
        if (this.countAll.get()!.n >= maxAccounts) {
          throw new FieldKeyError(
            'too_many_accounts',
            `This laptop already has the ${maxAccounts} account(s) the IT policy allows. Remove an account before adding another.`,
          );
        }
        this.insert.run(id, identity.issuer, identity.displayName, email, now, now);
      }
    });
    run.immediate();
    return this.get(id)!;
  }

  /** Deletes the account row only; the vault removes its sealed data and keychain entries first. */
  delete(id: string): boolean {
    return this.remove.run(id).changes > 0;
  }
}
