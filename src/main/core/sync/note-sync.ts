/**
 * Field notes with their sync, composed once for the app (app-runtime.ts) and for tests of the same
 * wiring: the notes gate on the auth service's access, and the sync engine runs after each
 * successful online check-in and after each local write made while the IdP is reachable. Each
 * check-in also anchors the audit chain at the Field API (audit-anchoring.ts).
 */
import { FieldNotes } from '../notes/field-notes';
import type { AuthService } from '../auth/auth-service-port';
import type { Clock } from '../clock';
import type { FetchFn } from '../oauth/http-client';
import type { Database } from '../../adapters/sqlite/database';
import { AuditAnchoring } from './audit-anchoring';
import { SyncEngine } from './sync-engine';

export interface NoteSyncDeps {
  db: Database;
  clock: Clock;
  fetch: FetchFn;
  auth: Pick<AuthService, 'accessFor' | 'apiCredentials' | 'onCheckIn' | 'getState'>;
  log: (line: string) => void;
  timeoutMs?: number;
}

export interface NoteSync {
  notes: FieldNotes;
  sync: SyncEngine;
  anchoring: AuditAnchoring;
  /** Stops the triggers and waits for a sync in progress. */
  close(): Promise<void>;
}

export function startNoteSync({ db, clock, fetch, auth, log, timeoutMs }: NoteSyncDeps): NoteSync {
  const api = {
    db,
    clock,
    fetch,
    connect: (accountId: string) => auth.apiCredentials(accountId),
    log,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
  const sync = new SyncEngine(api);
  const anchoring = new AuditAnchoring(api);
  const stopCheckIns = auth.onCheckIn((accountId) => {
    sync.trigger(accountId, 'check-in');
    anchoring.trigger(accountId, 'check-in');
  });
  const notes = new FieldNotes(
    db,
    clock,
    (accountId) => auth.accessFor(accountId),
    (accountId) => {
      const state = auth.getState();
      if (state.status === 'unlocked' && state.online && state.account.id === accountId) sync.trigger(accountId, 'local write');
    },
  );
  return {
    notes,
    sync,
    anchoring,
    async close() {
      stopCheckIns();
      await Promise.all([sync.idle(), anchoring.idle()]);
    },
  };
}
