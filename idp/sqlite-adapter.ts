import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider's persistence in one SQLite file, so grants, sessions, interactions and refresh
 * tokens survive a restart of the demo IdP as they would at a real IdP. One row per model instance:
 * the payload as JSON plus the columns oidc-provider looks things up by (grantId, userCode, uid).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_model (
  model      TEXT NOT NULL,
  id         TEXT NOT NULL,
  payload    TEXT NOT NULL,
  expires_at INTEGER,
  grant_id   TEXT,
  user_code  TEXT,
  uid        TEXT,
  PRIMARY KEY (model, id)
) STRICT;
CREATE INDEX IF NOT EXISTS oidc_model_grant ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_model_expiry ON oidc_model (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS refresh_rotation (
  old_id     TEXT PRIMARY KEY,
  new_id     TEXT NOT NULL,
  rotated_at INTEGER NOT NULL
) STRICT;
`;

type Row = { payload: string };

export interface OidcStore {
  /** The factory oidc-provider's `adapter` configuration takes. */
  adapterFor(model: string): Adapter;
  /** Delete rows past their expiry; returns how many went. */
  sweepExpired(): number;
  /** Delete every session, grant and token of one account (a user disabled at the IdP). */
  deleteAccount(accountId: string): number;
  /** Delete the grant of a live refresh token and every token issued under it; false when the token is unknown. */
  revokeRefreshTokenGrant(refreshToken: string): boolean;
  /** Remember that refresh token `oldId` was just rotated into `newId` (only kept with a reuse grace window). */
  recordRotation(oldId: string, newId: string): void;
  close(): void;
}

export interface OidcStoreOptions {
  /**
   * Seconds after a rotation during which the rotated refresh token, presented again, is found as
   * its successor while the successor is still unused: the client that never received the rotation
   * answer gets new tokens instead of a revoked grant. 0 (the default): a reuse is always a reuse.
   */
  refreshReuseGraceSeconds?: number;
}

export function openOidcStore(file: string, now: () => number = Date.now, options: OidcStoreOptions = {}): OidcStore {
  const graceMs = (options.refreshReuseGraceSeconds ?? 0) * 1000;
  // Refresh tokens live in this file: create it owner-only (SQLite gives -wal and -shm the same mode).
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const upsert = db.prepare(
    `INSERT INTO oidc_model (model, id, payload, expires_at, grant_id, user_code, uid)
     VALUES (@model, @id, @payload, @expiresAt, @grantId, @userCode, @uid)
     ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at,
       grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid`,
  );
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const find = db.prepare(`SELECT payload FROM oidc_model WHERE model = @model AND id = @id AND ${live}`);
  const findByUid = db.prepare(`SELECT payload FROM oidc_model WHERE model = @model AND uid = @key AND ${live}`);
  const findByUserCode = db.prepare(`SELECT payload FROM oidc_model WHERE model = @model AND user_code = @key AND ${live}`);
  const consume = db.prepare(`UPDATE oidc_model SET payload = json_set(payload, '$.consumed', @at) WHERE model = @model AND id = @id`);
  const destroy = db.prepare('DELETE FROM oidc_model WHERE model = @model AND id = @id');
  const revokeByGrantId = db.prepare('DELETE FROM oidc_model WHERE model = @model AND grant_id = @grantId');
  const grantOf = db.prepare(`SELECT grant_id AS grantId FROM oidc_model WHERE model = 'RefreshToken' AND id = @id AND ${live}`);
  const revokeGrant = db.prepare("DELETE FROM oidc_model WHERE grant_id = @grantId OR (model = 'Grant' AND id = @grantId)");
  const sweep = db.prepare('DELETE FROM oidc_model WHERE expires_at IS NOT NULL AND expires_at <= @now');
  const recordRotation = db.prepare('INSERT OR REPLACE INTO refresh_rotation (old_id, new_id, rotated_at) VALUES (@oldId, @newId, @at)');
  const successorOf = db.prepare('SELECT new_id AS newId FROM refresh_rotation WHERE old_id = @id AND rotated_at > @since');
  const sweepRotations = db.prepare('DELETE FROM refresh_rotation WHERE rotated_at <= @since');
  const deleteAccount = db.prepare("DELETE FROM oidc_model WHERE json_extract(payload, '$.accountId') = @accountId");

  const parse = (row: Row | undefined): AdapterPayload | undefined => (row ? (JSON.parse(row.payload) as AdapterPayload) : undefined);

  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

  /**
   * A refresh token found by its id, with the reuse grace window applied: a consumed token rotated
   * less than the window ago whose successor is live and unused stands for that successor (which the
   * grant then rotates in turn). Anything else is returned as stored, so a reuse is still a reuse.
   */
  const findRefreshToken = (id: string): AdapterPayload | undefined => {
    const payload = parse(find.get({ model: 'RefreshToken', id, now: now() }) as Row | undefined);
    if (graceMs <= 0 || payload?.consumed === undefined) return payload;
    const link = successorOf.get({ id, since: now() - graceMs }) as { newId: string } | undefined;
    const successor = link ? parse(find.get({ model: 'RefreshToken', id: link.newId, now: now() }) as Row | undefined) : undefined;
    return successor && successor.consumed === undefined ? successor : payload;
  };

  function adapterFor(model: string): Adapter {
    return {
      async upsert(id, payload, expiresIn) {
        upsert.run({
          model,
          id,
          payload: JSON.stringify(payload),
          expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : null,
          grantId: text(payload.grantId),
          userCode: text(payload.userCode),
          uid: text(payload.uid),
        });
      },
      async find(id) {
        if (model === 'RefreshToken') return findRefreshToken(id);
        return parse(find.get({ model, id, now: now() }) as Row | undefined);
      },
      async findByUid(uid) {
        return parse(findByUid.get({ model, key: uid, now: now() }) as Row | undefined);
      },
      async findByUserCode(userCode) {
        return parse(findByUserCode.get({ model, key: userCode, now: now() }) as Row | undefined);
      },
      async consume(id) {
        consume.run({ model, id, at: Math.floor(now() / 1000) });
      },
      async destroy(id) {
        destroy.run({ model, id });
      },
      async revokeByGrantId(grantId) {
        revokeByGrantId.run({ model, grantId });
      },
    };
  }

  return {
    adapterFor,
    sweepExpired: () => sweep.run({ now: now() }).changes + sweepRotations.run({ since: now() - graceMs }).changes,
    deleteAccount: (accountId) => deleteAccount.run({ accountId }).changes,
    revokeRefreshTokenGrant(refreshToken) {
      const row = grantOf.get({ id: refreshToken, now: now() }) as { grantId: string | null } | undefined;
      if (!row?.grantId) return false;
      revokeGrant.run({ grantId: row.grantId });
      return true;
    },
    recordRotation(oldId, newId) {
      if (graceMs > 0) recordRotation.run({ oldId, newId, at: now() });
    },
    close: () => db.close(),
  };
}
