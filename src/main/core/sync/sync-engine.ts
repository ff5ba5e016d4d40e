/**
 * The sync engine: pushes an account's outbox to the Field API in order, then pulls the notes the
 * same technician wrote elsewhere. One run at a time per account; a trigger during a run makes one
 * more run after it (triggers: each successful online check-in, a local write while online, the
 * technician's "Sync now").
 *
 * Each change: the push is counted in the database first, for every waiting change in one commit
 * (its idempotency key was stored with the change), then `PUT /v1/notes/{uuid}` goes out with `Idempotency-Key` and `If-None-Match: *` (a
 * create) or `If-Match: "<base version>"` (an update). The answer decides, in one transaction:
 *  - 200/201: the version is stored, the note is synced, the change leaves the outbox;
 *  - 412: both versions survive, the server's as the note, the local text as a new note titled
 *    "<title> (conflict, this laptop)", queued as a create;
 *  - 403 insufficient_role (or another refusal for good): the note stays on the laptop, rejected
 *    with the reason; its changes leave the outbox;
 *  - no final answer (network, 5xx, a token that cannot be refreshed now): everything stays; the
 *    same request, with the same key, goes out at the next run. A process killed at any point of a
 *    push therefore never makes a second note on the server: the API answers a replay with its
 *    first answer.
 * Nothing here deletes notes or the outbox: a wipe (revocation, lockout) leaves them, and they sync
 * after the same account signs in again.
 */
import type { SyncStatusView } from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { FetchFn } from '../oauth/http-client';
import type { Database } from '../../adapters/sqlite/database';
import { ApiError, FieldApiClient, type ApiCredentials } from './api-client';
import { SyncStore, type OutboxRow } from './sync-store';

/** What the app's policy and auth service say about calling the API for an account. */
export interface ApiConnection {
  /** The policy's `api.baseUrl`. */
  baseUrl: string;
  /** While the account is unlocked; undefined otherwise. */
  credentials: ApiCredentials | undefined;
}

export interface SyncEngineDeps {
  db: Database;
  clock: Clock;
  fetch: FetchFn;
  /** undefined: the policy names no Field API (notes stay on the laptop). */
  connect: (accountId: string) => ApiConnection | undefined;
  log: (line: string) => void;
  timeoutMs?: number;
}

/** What one run did. */
export interface SyncRunResult {
  pushed: number;
  conflicts: number;
  rejected: number;
  pulled: number;
  /** The code that ended the run early, if any. */
  error: string | null;
}

export const REJECTED_ROLE_MESSAGE = 'Your organization no longer lets this account change notes.';

const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  api_unreachable: 'The Field API could not be reached. Changes stay on this laptop and sync later.',
  api_unavailable: 'The Field API is not available right now. Changes stay on this laptop and sync later.',
  api_unauthorized: 'The Field API did not accept this session. Check in again (or sign in again) to sync.',
  api_protocol: 'The Field API gave an answer FieldKey does not understand. Changes stay on this laptop; tell IT.',
  idp_unreachable: 'The sign-in service could not be reached for a fresh access token. Changes stay on this laptop and sync later.',
  read_only: 'Read-only access: changes wait on this laptop until the next check-in.',
  connection_required: 'Offline access has ended: connect to the network to sync.',
  not_unlocked: 'Unlock FieldKey to sync notes.',
};

export function syncErrorMessage(code: string): string {
  return ERROR_MESSAGES[code] ?? 'The last sync did not finish. Changes stay on this laptop and sync later.';
}

export class SyncEngine {
  private readonly store: SyncStore;
  private readonly running = new Map<string, Promise<SyncRunResult>>();
  private readonly again = new Map<string, Promise<SyncRunResult>>();

  constructor(private readonly deps: SyncEngineDeps) {
    this.store = new SyncStore(deps.db, deps.clock);
  }

  /** Whether the policy names a Field API for this account. */
  configured(accountId: string): boolean {
    return this.deps.connect(accountId) !== undefined;
  }

  status(accountId: string): SyncStatusView {
    const row = this.store.status(accountId);
    return {
      configured: this.configured(accountId),
      lastSyncAt: row.lastSyncAt,
      lastError: row.lastErrorCode ? { code: row.lastErrorCode, message: syncErrorMessage(row.lastErrorCode) } : null,
      pending: this.store.depth(accountId),
    };
  }

  /**
   * Runs a sync for the account now, or joins the run in progress and the one after it (so every
   * change written before the call is pushed by the time it resolves). Never rejects for network
   * trouble: the result carries the code.
   */
  sync(accountId: string): Promise<SyncRunResult> {
    const current = this.running.get(accountId);
    if (!current) return this.start(accountId);
    let next = this.again.get(accountId);
    if (!next) {
      next = current.then(
        () => this.start(accountId),
        () => this.start(accountId),
      );
      this.again.set(accountId, next);
      void next.finally(() => {
        if (this.again.get(accountId) === next) this.again.delete(accountId);
      });
    }
    return next;
  }

  /** A background trigger: runs a sync, logging its outcome, never failing. */
  trigger(accountId: string, reason: string): void {
    if (!this.configured(accountId)) return;
    void this.sync(accountId).then(
      (result) => this.deps.log(`sync (${reason}): ${describe(result)}`),
      (error: unknown) => this.deps.log(`sync (${reason}) failed: ${error instanceof FieldKeyError ? error.code : 'internal_error'}`),
    );
  }

  /** Resolves when no run is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.again.size > 0) {
      await Promise.allSettled([...this.running.values(), ...this.again.values()]);
    }
  }

  private start(accountId: string): Promise<SyncRunResult> {
    const run = this.run(accountId).finally(() => {
      if (this.running.get(accountId) === run) this.running.delete(accountId);
    });
    this.running.set(accountId, run);
    return run;
  }

  private async run(accountId: string): Promise<SyncRunResult> {
    const result: SyncRunResult = { pushed: 0, conflicts: 0, rejected: 0, pulled: 0, error: null };
    const connection = this.deps.connect(accountId);
    if (!connection) return result;
    if (!connection.credentials) throw new ApiError('not_unlocked', syncErrorMessage('not_unlocked'));
    const client = new FieldApiClient({
      baseUrl: connection.baseUrl,
      fetch: this.deps.fetch,
      credentials: connection.credentials,
      clock: this.deps.clock,
      ...(this.deps.timeoutMs !== undefined ? { timeoutMs: this.deps.timeoutMs } : {}),
    });
    try {
      await this.push(client, accountId, result);
    } catch (error) {
      result.error = apiErrorCode(error);
      // Read-only: changes wait, but the notes written elsewhere can still come in.
      if (result.error !== 'read_only') return this.finish(accountId, result);
    }
    try {
      result.pulled = this.pullResult(this.store.pulled(accountId, await client.listNotes()));
    } catch (error) {
      result.error ??= apiErrorCode(error);
    }
    return this.finish(accountId, result);
  }

  private async push(client: FieldApiClient, accountId: string, result: SyncRunResult): Promise<void> {
    this.store.markPushing(accountId);
    for (let change = this.store.next(accountId); change; change = this.store.next(accountId)) {
      const sending = change.attempts > 0 ? change : this.store.markSending(change.id);
      if (!sending) continue; // gone meanwhile (another process pushed it)
      let answer;
      try {
        answer = await client.putNote(sending.noteUuid, {
          title: sending.title,
          text: sending.text,
          idempotencyKey: sending.idempotencyKey,
          baseVersion: sending.baseVersion,
        });
      } catch (error) {
        this.store.recordFailure(sending.id, apiErrorCode(error));
        throw error;
      }
      this.apply(sending, answer, result);
    }
  }

  private apply(change: OutboxRow, answer: Awaited<ReturnType<FieldApiClient['putNote']>>, result: SyncRunResult): void {
    switch (answer.kind) {
      case 'stored':
        this.store.accepted(change, answer.note.version);
        result.pushed++;
        return;
      case 'conflict':
        this.store.conflicted(change, answer.note);
        result.conflicts++;
        return;
      case 'refused':
        this.deps.log(`the Field API refused a change for good (${answer.status} ${answer.error})`);
        this.store.rejected(
          change,
          answer.error === 'insufficient_role' ? REJECTED_ROLE_MESSAGE : `The Field API refused this change (${answer.error}).`,
        );
        result.rejected++;
        return;
    }
  }

  private pullResult(pulled: { added: number; updated: number }): number {
    return pulled.added + pulled.updated;
  }

  private finish(accountId: string, result: SyncRunResult): SyncRunResult {
    this.store.recordSync(accountId, result.error);
    return result;
  }
}

function apiErrorCode(error: unknown): string {
  if (error instanceof FieldKeyError) return error.code;
  return 'internal_error';
}

function describe(result: SyncRunResult): string {
  const parts = `${result.pushed} pushed, ${result.conflicts} conflicts, ${result.rejected} rejected, ${result.pulled} pulled`;
  return result.error ? `${parts}; stopped: ${result.error}` : parts;
}
