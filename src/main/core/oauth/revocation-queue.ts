/**
 * Revocations that could not be sent yet (sign-out while offline), kept until the next connection.
 *
 * A queued revocation holds a live refresh token, so it must survive a restart without ever being
 * a plaintext file: each one is an entry of the OS keychain (the `SecretStore`), named
 * `revocation/<random id>`, never `<accountId>/...`, so removing or wiping an account cannot drop
 * a pending revocation. The value is a small JSON object (issuer, client id, token, queued-at),
 * refused above MAX_ENTRY_BYTES so it stays below Windows Credential Manager's 2.5 KB limit
 * (refresh tokens are ~43 characters at oidc-provider, ~64 at FusionAuth).
 *
 * `flush` sends what is queued for the current issuer and client, oldest first: a sent or refused
 * revocation is deleted; on `offline` / `idp_unavailable` the rest stays for the next connection.
 * Entries for another issuer stay (the policy may point back to it) until MAX_AGE_DAYS, after which
 * the refresh token has expired at any sensible IdP and the entry is dropped.
 */
import { randomBytes } from 'node:crypto';
import { FieldKeyError, isNoConnection } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { SecretStore } from '../secrets/secret-store';

export const REVOCATION_ENTRY_PREFIX = 'revocation/';
export const MAX_ENTRY_BYTES = 2048;
export const MAX_AGE_DAYS = 400;

export interface QueuedRevocation {
  /** The keychain entry name. */
  entry: string;
  issuer: string;
  clientId: string;
  refreshToken: string;
  queuedAt: Date;
}

export interface FlushResult {
  sent: number;
  /** Refused by the IdP or expired in the queue: deleted, will not be retried. */
  dropped: number;
  /** Still queued (no connection, or for another issuer). */
  kept: number;
}

/** Sends one revocation; rejects with `offline`/`idp_unavailable` (keep) or anything else (drop). */
export type SendRevocation = (item: QueuedRevocation) => Promise<void>;

export class RevocationQueue {
  private flushing: Promise<FlushResult> | undefined;

  constructor(
    private readonly secrets: SecretStore,
    private readonly clock: Clock,
  ) {}

  /** Queues a revocation; resolves once it is in the keychain. Returns the entry name. */
  async enqueue(item: { issuer: string; clientId: string; refreshToken: string }): Promise<string> {
    const value = JSON.stringify({
      v: 1,
      issuer: item.issuer,
      clientId: item.clientId,
      token: item.refreshToken,
      queuedAt: this.clock.now().toISOString(),
    });
    if (Buffer.byteLength(value, 'utf8') > MAX_ENTRY_BYTES) {
      throw new FieldKeyError(
        'revocation_not_queued',
        'The refresh token is too large to queue in the OS keychain; it could not be revoked later.',
      );
    }
    const entry = `${REVOCATION_ENTRY_PREFIX}${randomBytes(16).toString('base64url')}`;
    await this.secrets.set(entry, value);
    return entry;
  }

  /** Removes one queued revocation (after it was sent). */
  async remove(entry: string): Promise<void> {
    await this.secrets.delete(entry);
  }

  /** Every queued revocation, oldest first; unreadable entries are deleted. */
  async pending(): Promise<QueuedRevocation[]> {
    const items: QueuedRevocation[] = [];
    for (const entry of await this.secrets.list()) {
      if (!entry.startsWith(REVOCATION_ENTRY_PREFIX)) continue;
      const value = await this.secrets.get(entry);
      const item = value === null ? undefined : parse(entry, value);
      if (item) items.push(item);
      else if (value !== null) await this.secrets.delete(entry);
    }
    return items.sort((a, b) => a.queuedAt.getTime() - b.queuedAt.getTime());
  }

  /** Sends the queued revocations of `issuer` + `clientId` (see the module comment). One flush at a time. */
  flush(target: { issuer: string; clientId: string }, sendOne: SendRevocation): Promise<FlushResult> {
    this.flushing ??= this.flushOnce(target, sendOne).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(target: { issuer: string; clientId: string }, sendOne: SendRevocation): Promise<FlushResult> {
    const result: FlushResult = { sent: 0, dropped: 0, kept: 0 };
    const oldest = this.clock.now().getTime() - MAX_AGE_DAYS * 86_400_000;
    let connected = true;
    for (const item of await this.pending()) {
      if (item.queuedAt.getTime() < oldest) {
        await this.secrets.delete(item.entry);
        result.dropped++;
      } else if (!connected || item.issuer !== target.issuer || item.clientId !== target.clientId) {
        result.kept++;
      } else {
        try {
          await sendOne(item);
          await this.secrets.delete(item.entry);
          result.sent++;
        } catch (error) {
          if (isNoConnection(error)) {
            connected = false;
            result.kept++;
          } else {
            await this.secrets.delete(item.entry);
            result.dropped++;
          }
        }
      }
    }
    return result;
  }
}

function parse(entry: string, value: string): QueuedRevocation | undefined {
  try {
    const data = JSON.parse(value) as Record<string, unknown>;
    const queuedAt = new Date(typeof data.queuedAt === 'string' ? data.queuedAt : Number.NaN);
    if (
      data.v !== 1 ||
      typeof data.issuer !== 'string' ||
      typeof data.clientId !== 'string' ||
      typeof data.token !== 'string' ||
      data.token === ''
    )
      return undefined;
    if (Number.isNaN(queuedAt.getTime())) return undefined;
    return { entry, issuer: data.issuer, clientId: data.clientId, refreshToken: data.token, queuedAt };
  } catch {
    return undefined;
  }
}
