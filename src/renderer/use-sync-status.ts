import { useCallback, useEffect, useState } from 'react';
import type { SyncStatusView } from '../shared/app-state';
import { fieldkey, unwrap } from './api';

/** How often the home screen asks for the sync status (a sync may run after a check-in in the background). */
export const SYNC_STATUS_INTERVAL_MS = 5_000;

/**
 * The unlocked account's sync status, asked for now, every SYNC_STATUS_INTERVAL_MS, and after
 * "Sync now". `null` until the first answer (or when the main process refuses, e.g. while locking).
 */
export function useSyncStatus(accountId: string): { status: SyncStatusView | null; update: (next: SyncStatusView) => void } {
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  useEffect(() => {
    let stopped = false;
    const ask = (): void => {
      unwrap(fieldkey().getSyncStatus()).then(
        (next) => {
          if (!stopped) setStatus((previous) => (previous && sameStatus(previous, next) ? previous : next));
        },
        () => undefined,
      );
    };
    ask();
    const timer = setInterval(ask, SYNC_STATUS_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [accountId]);
  const update = useCallback((next: SyncStatusView) => setStatus(next), []);
  return { status, update };
}

function sameStatus(a: SyncStatusView, b: SyncStatusView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
