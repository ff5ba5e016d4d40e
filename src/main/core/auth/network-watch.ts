/**
 * Whether the IdP is reachable, and the moment it becomes reachable again. Node has no reliable
 * "network changed" event, so the watch probes the IdP cheaply (a GET of the discovery document):
 * while unreachable with a growing delay (`offlineMinMs` doubling up to `offlineMaxMs`, about 10 s,
 * so full access returns within seconds of the network), while reachable every `onlineIntervalMs`
 * to notice a drop. Other contacts (a refresh, a sign-in) report their outcome, which updates the
 * flag at once; `checkNow()` probes at once (a resume, a network change, a user's intent).
 *
 * The schedule runs only while an account is unlocked (`setActive`): with everything locked there
 * is nothing to refresh, so nothing is probed until an unlock, which probes at once.
 *
 * `onReconnect` fires when a probe finds the IdP after it was unreachable (or unknown, at start):
 * the moment to refresh at once, flush queued revocations and re-check the JWKS. `onChange` fires
 * on every change of the flag. Timers never keep the process alive.
 */

export interface NetworkWatchOptions {
  /** Resolves true when the IdP answered; never rejects for network trouble. */
  probe: () => Promise<boolean>;
  onReconnect: () => void;
  onChange: (online: boolean) => void;
  offlineMinMs?: number;
  offlineMaxMs?: number;
  onlineIntervalMs?: number;
}

export const OFFLINE_PROBE_MIN_MS = 2_000;
export const OFFLINE_PROBE_MAX_MS = 8_000;
export const ONLINE_PROBE_INTERVAL_MS = 60_000;

export class NetworkWatch {
  private reachable = false;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<boolean> | undefined;
  private backoffMs: number;
  private stopped = false;
  /** Whether the probe schedule runs (an account is unlocked). */
  private active = true;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly onlineMs: number;

  constructor(private readonly options: NetworkWatchOptions) {
    this.minMs = options.offlineMinMs ?? OFFLINE_PROBE_MIN_MS;
    this.maxMs = options.offlineMaxMs ?? OFFLINE_PROBE_MAX_MS;
    this.onlineMs = options.onlineIntervalMs ?? ONLINE_PROBE_INTERVAL_MS;
    this.backoffMs = this.minMs;
  }

  get online(): boolean {
    return this.reachable;
  }

  /** Probes now, then on its schedule. */
  start(): void {
    void this.checkNow();
  }

  /**
   * Runs the probe schedule (true) or pauses it (false). Becoming active while unreachable probes
   * at once; while reachable it re-arms the drop check.
   */
  setActive(active: boolean): void {
    if (active === this.active || this.stopped) return;
    this.active = active;
    if (!active) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    this.backoffMs = this.minMs;
    if (this.reachable) this.arm(this.onlineMs);
    else void this.checkNow();
  }

  /** A user's intent while unreachable: probe at once (shared with a probe in flight). */
  nudge(): void {
    if (!this.reachable && !this.stopped) void this.checkNow();
  }

  /** Probes now (Retry); resolves with the result. Concurrent calls share one probe. */
  checkNow(): Promise<boolean> {
    this.probing ??= this.probeOnce().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** The outcome of another contact with the IdP (refresh, sign-in, revocation). */
  report(reachable: boolean): void {
    if (this.stopped) return;
    if (reachable !== this.reachable) {
      this.set(reachable);
      this.backoffMs = this.minMs;
      this.arm(reachable ? this.onlineMs : this.nextBackoff());
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async probeOnce(): Promise<boolean> {
    let answered: boolean;
    try {
      answered = await this.options.probe();
    } catch {
      answered = false;
    }
    if (this.stopped) return answered;
    const wasReachable = this.reachable;
    if (answered) {
      this.backoffMs = this.minMs;
      if (!wasReachable) this.set(true);
      this.arm(this.onlineMs);
      if (!wasReachable) this.options.onReconnect();
    } else {
      if (wasReachable) {
        this.backoffMs = this.minMs;
        this.set(false);
      }
      this.arm(this.nextBackoff());
    }
    return answered;
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxMs);
    return delay;
  }

  private set(reachable: boolean): void {
    this.reachable = reachable;
    this.options.onChange(reachable);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (!this.active) return;
    this.timer = setTimeout(() => void this.checkNow(), delayMs);
    this.timer.unref();
  }
}
