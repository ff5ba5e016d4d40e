/**
 * Session upkeep: everything that keeps the unlocked account's decision and tokens current without
 * an intent. The network watch (network-watch.ts) and its reconnect, every refresh's outcome
 * (account-session.ts emits it once), the online chores after any contact (a stale JWKS, queued
 * revocations), the decision timer (decision-timer.ts), and waking up (wake-signals.ts, the OS's
 * resume and screen unlock): derive again at once, and refresh when online and due.
 */
import { FieldKeyError, isFieldKeyError } from '../../../shared/errors';
import { flushRevocations } from '../oauth/sign-out';
import type { WakeReason } from './auth-service-port';
import { confirmClockOnline } from './access-decision';
import type { AccountSession, RefreshOutcome } from './account-session';
import type { Coordinator } from './coordinator';
import { DecisionTimer, DEFAULT_DECISION_INTERVAL_MS, nextDecisionDelayMs } from './decision-timer';
import { decisionKey } from './auth-audit';
import { errorCode } from './error-code';
import { NetworkWatch } from './network-watch';
import { errorNotice, revokedNotice } from './notices';
import { IDLE } from './phase';

export class SessionUpkeep {
  readonly watch: NetworkWatch;
  private readonly decisionTimer: DecisionTimer;
  private chores: Promise<void> | undefined;
  private stopWakeSignals: (() => void) | undefined;

  constructor(private readonly c: Coordinator) {
    this.watch = new NetworkWatch({
      ...c.timing.network,
      probe: () => c.idp.probe(),
      onReconnect: () => this.reconnected(),
      onChange: (online) => {
        c.active?.setOnline(online);
        void c.publish();
      },
    });
    this.decisionTimer = new DecisionTimer(() => void this.redecide());
    c.online = () => this.watch.online;
    // The probe schedule runs only while an account is unlocked (network-watch.ts).
    c.beforePublish = () => this.watch.setActive(c.active !== undefined);
  }

  async start(): Promise<void> {
    await this.redecide();
    this.watch.start();
    this.stopWakeSignals = this.c.deps.watchWakeSignals?.({
      clock: this.c.deps.clock,
      onClockJump: (jumpMs) => this.wake('clock-jump', `${Math.round(jumpMs / 1000)} s`),
      onNetworkChange: () => this.wake('network-change'),
      ...(this.c.timing.wakeCheckIntervalMs !== undefined ? { intervalMs: this.c.timing.wakeCheckIntervalMs } : {}),
    });
  }

  stop(): void {
    this.stopWakeSignals?.();
    this.watch.stop();
    this.decisionTimer.stop();
  }

  /** Resolves when the online chores in flight are done. */
  async settled(): Promise<void> {
    await this.chores;
  }

  /** A newly unlocked account: online, its refresh timer runs (and it refreshes now); offline, probe now. */
  startSession(active: AccountSession, refreshNow: boolean): void {
    if (this.watch.online) {
      active.setOnline(true);
      if (refreshNow) void active.refresh();
    } else if (refreshNow) {
      void this.watch.checkNow(); // reachable again? then the reconnect refreshes at once
    }
  }

  /** Tries the IdP again now: the unlocked account refreshes; otherwise a probe and the chores. */
  async retry(): Promise<void> {
    const active = this.c.active;
    if (active) {
      const outcome = await active.refresh();
      if (!outcome.ok && outcome.offline) throw unreachable();
      return;
    }
    if (!(await this.watch.checkNow())) {
      await this.c.publish();
      throw unreachable();
    }
    await this.onlineChores();
    await this.redecide();
  }

  wake(reason: WakeReason, detail?: string): void {
    if (this.c.disposed) return;
    this.c.deps.log(`deciding again (${reason}${detail ? `, ${detail}` : ''})`);
    void this.redecide();
    const active = this.c.active;
    if (!active) return;
    // Unreachable (or the network changed): probe now; a reconnect refreshes at once.
    if (!this.watch.online || reason === 'network-change') void this.watch.checkNow();
    else if (active.isDue()) void active.refresh();
  }

  /** Every refresh's outcome, once (see account-session.ts). */
  async refreshed(active: AccountSession, outcome: RefreshOutcome): Promise<void> {
    const c = this.c;
    const id = active.accountId;
    c.audit.refresh(id, outcome, !c.vault.hasSession(id));
    const lockedMeanwhile = !outcome.ok && isFieldKeyError(outcome.error, 'session_locked');
    if (!lockedMeanwhile) this.watch.report(outcome.ok || !outcome.offline); // a refusal is an answer too
    if (outcome.ok) {
      confirmClockOnline({ clock: c.deps.clock, times: c.idp.times }, c.policy);
      void this.onlineChores();
    } else if (outcome.revoked) {
      // The refresher has wiped the sealed session; the account is signed out, its notes stay.
      c.deps.log('session revoked at the IdP: the sealed session was wiped');
      active.stop();
      c.auditedReasons.delete(id);
      if (c.active === active) {
        c.transition(IDLE, 'revoked');
        c.selectedAccountId = id;
        c.notice = revokedNotice(active.account);
      }
    } else if (!outcome.offline && !lockedMeanwhile && c.active === active) {
      c.notice = errorNotice(outcome.error, 'refresh_failed');
    }
    await this.redecide();
    if (outcome.ok) c.checkedIn(active);
  }

  /** After any successful contact: a stale JWKS is fetched again and queued revocations are sent. */
  onlineChores(): Promise<void> {
    const c = this.c;
    this.chores ??= (async () => {
      try {
        c.audit.jwksSync(c.policy.issuer, 'stale', await c.idp.jwks.syncIfStale());
        const flushed = await flushRevocations(c.idp.signOutDeps());
        if (flushed.sent > 0) c.deps.log(`sent ${flushed.sent} queued revocation(s)`);
      } catch (error) {
        c.deps.log(`online upkeep failed: ${errorCode(error)}`);
      }
    })().finally(() => {
      this.chores = undefined;
    });
    return this.chores;
  }

  /** Decides the unlocked account again (or just raises the high-water mark), publishes, re-arms the timer. */
  async redecide(): Promise<void> {
    const c = this.c;
    if (c.disposed) return;
    const active = c.active;
    try {
      if (active) await this.evaluate(active);
      else c.idp.times.raiseHighWater(c.deps.clock.now());
    } catch (error) {
      c.deps.log(`decision failed: ${errorCode(error)}`);
    }
    await c.publish();
    const decision = c.active?.decided?.decision;
    this.decisionTimer.schedule(
      nextDecisionDelayMs(
        c.deps.clock.now().getTime(),
        decision,
        c.policy.clockSkewSeconds,
        c.timing.decisionIntervalMs ?? DEFAULT_DECISION_INTERVAL_MS,
      ),
    );
  }

  /** The account's decision now, audited once per change of tier and reason. */
  async evaluate(active: AccountSession): Promise<void> {
    const c = this.c;
    let decided;
    try {
      decided = await active.decide();
    } catch (error) {
      if (isFieldKeyError(error, 'session_locked')) return; // locked meanwhile
      throw error;
    }
    if (c.active !== active) return;
    c.audit.jwksSync(c.policy.issuer, 'unknown-kid', decided.jwksSync);
    c.audit.decision(active.accountId, c.auditedReasons.get(active.accountId), decided, c.policy);
    c.auditedReasons.set(active.accountId, decisionKey(decided.decision));
  }

  private reconnected(): void {
    this.c.deps.log('identity provider reachable');
    void this.onlineChores();
    const active = this.c.active;
    if (active) {
      active.setOnline(true);
      void active.refresh();
    }
  }
}

function unreachable(): FieldKeyError {
  return new FieldKeyError(
    'idp_unreachable',
    'FieldKey still cannot reach the sign-in service. Check the network connection and try again.',
  );
}
