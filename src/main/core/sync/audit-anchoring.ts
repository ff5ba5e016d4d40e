/**
 * Anchoring the audit chain at the Field API (docs/field-api.md, "Audit checkpoints"): after each
 * successful online check-in the app reads the highest checkpoint the API holds for this device,
 * checks that the local chain still holds it (audit/audit-checkpoints.ts), then sends the chain's
 * current head as the next checkpoint.
 *
 * When the server's checkpoint is not in the local chain (the log was truncated or rewritten), or
 * the API refuses the head with 409, the mismatch is stored once (the doctor reports it, `fieldkey
 * audit verify` fails on it), a line is logged, and no checkpoint is sent again: the server keeps
 * the one that proves what the chain was. Network trouble only logs a code; the next check-in tries
 * again. Runs are serialized, so two check-ins never race each other's checkpoints.
 *
 * `readCheckpointWithoutSession` is the command line's look: it has no session, so it asks without
 * a token and an API that wants one answers 401.
 */
import { FieldKeyError } from '../../../shared/errors';
import {
  chainHolds,
  describeAnchorMismatch,
  readAnchorMismatch,
  readAuditHead,
  readDeviceId,
  recordAnchorMismatch,
  type AnchorMismatch,
} from '../audit/audit-checkpoints';
import type { AuditAnchor } from '../audit/audit-rows';
import type { FetchFn } from '../oauth/http-client';
import { ApiError, auditCheckpoint, FieldApiClient, type AuditCheckpoint } from './api-client';
import type { SyncEngineDeps } from './sync-engine';

/** The same parts as the sync engine's (without a Field API in the policy, nothing is anchored). */
export type AuditAnchoringDeps = SyncEngineDeps;

/** What one run did. */
export type AnchorOutcome =
  | { kind: 'not_configured' }
  /** The chain is empty: nothing to anchor yet. */
  | { kind: 'empty' }
  | { kind: 'sent'; head: AuditAnchor; created: boolean }
  | { kind: 'mismatch'; mismatch: AnchorMismatch };

export class AuditAnchoring {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AuditAnchoringDeps) {}

  /** Checks the server's checkpoint and sends the head (after any run in progress). Rejects with an `ApiError` on network trouble. */
  anchor(accountId: string): Promise<AnchorOutcome> {
    const run = this.queue.then(() => this.run(accountId));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A background trigger: runs `anchor`, logging its outcome, never failing. */
  trigger(accountId: string, reason: string): void {
    if (!this.deps.connect(accountId)) return;
    void this.anchor(accountId).then(
      (outcome) => this.deps.log(`audit checkpoint (${reason}): ${describe(outcome)}`),
      (error: unknown) =>
        this.deps.log(`audit checkpoint (${reason}) failed: ${error instanceof FieldKeyError ? error.code : 'internal_error'}`),
    );
  }

  /** Resolves when no run is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    let current: Promise<unknown>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  private async run(accountId: string): Promise<AnchorOutcome> {
    const connection = this.deps.connect(accountId);
    if (!connection) return { kind: 'not_configured' };
    if (!connection.credentials) throw new ApiError('not_unlocked', 'Unlock FieldKey to anchor the audit log.');
    const { db } = this.deps;
    const deviceId = readDeviceId(db);
    if (!deviceId) return { kind: 'not_configured' };
    const client = new FieldApiClient({
      baseUrl: connection.baseUrl,
      fetch: this.deps.fetch,
      credentials: connection.credentials,
      clock: this.deps.clock,
      ...(this.deps.timeoutMs !== undefined ? { timeoutMs: this.deps.timeoutMs } : {}),
    });
    const server = await client.getAuditCheckpoint(deviceId);
    if (server && !chainHolds(db, server)) return this.mismatch(server);
    const stored = readAnchorMismatch(db);
    if (stored) return { kind: 'mismatch', mismatch: stored };
    const head = readAuditHead(db);
    if (head.seq === 0) return { kind: 'empty' };
    const answer = await client.postAuditCheckpoint(deviceId, head);
    if (answer.kind === 'recorded') return { kind: 'sent', head, created: answer.created };
    // 409: the server moved past this head meanwhile; only a checkpoint outside the chain is a mismatch.
    if (chainHolds(db, answer.current)) return { kind: 'sent', head: answer.current, created: false };
    return this.mismatch(answer.current);
  }

  private mismatch(server: AuditAnchor): AnchorOutcome {
    const mismatch = recordAnchorMismatch(this.deps.db, server, this.deps.clock.now());
    this.deps.log(`audit anchor mismatch: ${describeAnchorMismatch(mismatch)}`);
    return { kind: 'mismatch', mismatch };
  }
}

function describe(outcome: AnchorOutcome): string {
  switch (outcome.kind) {
    case 'not_configured':
      return 'no Field API';
    case 'empty':
      return 'the audit log is empty';
    case 'sent':
      return `seq ${outcome.head.seq} ${outcome.created ? 'recorded' : 'already recorded'}`;
    case 'mismatch':
      return `not sent: the server's checkpoint (seq ${outcome.mismatch.seq}) is not in the local audit log`;
  }
}

/** What a GET of the checkpoint without a token found. */
export type SessionlessCheckpoint =
  | { kind: 'checkpoint'; checkpoint: AuditCheckpoint }
  /** 404: this device has sent none. */
  | { kind: 'none' }
  /** 401: the API needs a token. */
  | { kind: 'no_session' }
  /** No answer in time, 5xx, or an answer the contract does not allow. */
  | { kind: 'unavailable'; detail: string };

export const SESSIONLESS_TIMEOUT_MS = 3_000;

export async function readCheckpointWithoutSession(options: {
  baseUrl: string;
  deviceId: string;
  fetch: FetchFn;
  timeoutMs?: number;
}): Promise<SessionlessCheckpoint> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/devices/${encodeURIComponent(options.deviceId)}/audit-checkpoints`;
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? SESSIONLESS_TIMEOUT_MS),
    });
    text = await response.text();
  } catch {
    return { kind: 'unavailable', detail: 'no answer' };
  }
  if (response.status === 401) return { kind: 'no_session' };
  if (response.status === 404) return { kind: 'none' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const checkpoint = response.status === 200 ? auditCheckpoint(body) : undefined;
  return checkpoint ? { kind: 'checkpoint', checkpoint } : { kind: 'unavailable', detail: `HTTP ${response.status}` };
}
