/**
 * The issuer's OpenID discovery document, cached so an offline start knows the endpoints. One row
 * per issuer; saving replaces it. The document is public metadata, never a secret.
 */
import type { Clock } from '../clock';
import { FieldKeyError } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import { fromMillis, toMillis } from './instants';

export interface CachedDiscovery {
  document: Record<string, unknown>;
  fetchedAt: Date;
}

export class DiscoveryCache {
  private readonly statements;

  constructor(
    db: Database,
    private readonly clock: Clock,
  ) {
    this.statements = {
      save: db.prepare<[string, string, number]>(
        `INSERT INTO discovery_cache (issuer, document, fetched_at) VALUES (?, ?, ?)
         ON CONFLICT (issuer) DO UPDATE SET document = excluded.document, fetched_at = excluded.fetched_at`,
      ),
      load: db.prepare<[string], { document: string; fetched_at: number }>(
        `SELECT document, fetched_at FROM discovery_cache WHERE issuer = ?`,
      ),
    };
  }

  /** Stores the document fetched now (the clock's time) for `issuer`, replacing any older one. */
  save(issuer: string, document: Record<string, unknown>): void {
    if (typeof issuer !== 'string' || issuer === '') throw new FieldKeyError('invalid_argument', 'An issuer is required.');
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new FieldKeyError('invalid_argument', 'A discovery document must be a JSON object.');
    }
    this.statements.save.run(issuer, JSON.stringify(document), toMillis(this.clock.now(), 'The current time'));
  }

  load(issuer: string): CachedDiscovery | undefined {
    const row = this.statements.load.get(issuer);
    if (!row) return undefined;
    return { document: JSON.parse(row.document) as Record<string, unknown>, fetchedAt: fromMillis(row.fetched_at) };
  }
}
