/**
 * Keeps an unlocked session's access token fresh while online: it refreshes at the refresher's
 * `dueAt()` (halfway through the token's lifetime). The wait is never one long timer: it wakes at
 * least every WALL_CLOCK_CHECK_MS and compares `dueAt()` with the wall clock again, so a clock that
 * jumped (a suspend and resume, the clock moved) starts the refresh within seconds. Without a connection (`offline`,
 * `idp_unavailable`) it retries with a growing delay (RETRY_MIN_MS doubling up to RETRY_MAX_MS)
 * and keeps everything; any other outcome (`session_revoked`, `identity_changed`, ...) stops the
 * timer and is reported. Call `stop()` before locking (after `refresher.idle()`).
 */
import type { Clock } from '../clock';
import type { SessionTokens } from '../secrets/session-tokens';
import { isOfflineError, type Refresher } from './refresh';

export const RETRY_MIN_MS = 30_000;
export const RETRY_MAX_MS = 5 * 60_000;
/** The longest wait before the wall clock is compared with the due time again. */
export const WALL_CLOCK_CHECK_MS = 5_000;

export interface RefreshTimerOptions {
  clock: Clock;
  /** After each successful refresh (e.g. `jwks.syncIfStale()`, `flushRevocations()`). */
  onRefreshed?: (tokens: SessionTokens) => void;
  /** No connection: the timer keeps retrying. */
  onOffline?: (error: unknown) => void;
  /** Anything else: the timer has stopped. */
  onStopped?: (error: unknown) => void;
}

export interface RefreshTimer {
  stop(): void;
}

export function startRefreshTimer(refresher: Pick<Refresher, 'dueAt' | 'refresh'>, options: RefreshTimerOptions): RefreshTimer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;

  const arm = (delayMs: number, then: () => void = () => void fire()) => {
    if (stopped) return;
    timer = setTimeout(then, Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    timer.unref();
  };
  const armForDue = (): void => {
    const due = refresher.dueAt();
    // Unknown expiry (opaque token without expires_in): refresh on the retry cadence.
    if (due === undefined) return arm(RETRY_MAX_MS);
    const waitMs = due.getTime() - options.clock.now().getTime();
    if (waitMs <= 0) return void fire();
    arm(Math.min(waitMs, WALL_CLOCK_CHECK_MS), armForDue);
  };
  async function fire(): Promise<void> {
    if (stopped) return;
    try {
      const tokens = await refresher.refresh();
      retryMs = RETRY_MIN_MS;
      if (stopped) return;
      options.onRefreshed?.(tokens);
      armForDue();
    } catch (error) {
      if (stopped) return;
      if (isOfflineError(error)) {
        options.onOffline?.(error);
        arm(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      } else {
        stopped = true;
        options.onStopped?.(error);
      }
    }
  }

  armForDue();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
