/**
 * The auth coordinator's core: the phase (phase.ts) and its one `transition`, the facts the state is
 * derived from, and the parts every intent uses (policy, vault, IdP client, audit, key release).
 * The intents live in modules named for their purpose and work through this core:
 * sign-in-intents.ts (browser sign-in and its completion), unlock-intents.ts (PIN set-up, unlock,
 * lock, sign-out, switch), session-upkeep.ts (refresh outcomes, reconnect, the decision timer, wake).
 *
 * Intents run one at a time (`serial`); an intent that awaited something commits only while its own
 * phase object is still current (`isCurrent`), so a lock, a cancel or dispose that came in between
 * wins. That is the one lock mechanism; the vault only zeroes key material.
 */
import type { AppState, Notice } from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { Account } from '../accounts/account-store';
import type { Policy } from '../policy/policy-types';
import type { SessionVault } from '../secrets/session-vault';
import type { AuthServiceDeps } from './auth-service-port';
import type { AccountSession } from './account-session';
import type { AuthAudit } from './auth-audit';
import type { Configuration } from './configuration';
import { errorCode } from './error-code';
import type { IdpClient } from './idp-client';
import { KeyRelease } from './key-release';
import type { NetworkWatchOptions } from './network-watch';
import { IDLE, keyInProgress, type Phase } from './phase';
import { deriveState } from './state-derivation';
import { accountView, collectFacts } from './state-facts';
import { StatePublisher } from './state-publisher';

/** What the coordinator asks of the session vault (secrets/session-vault.ts); fakes in unit tests. */
export type AuthVault = Pick<
  SessionVault,
  | 'listAccounts'
  | 'getAccount'
  | 'addAccount'
  | 'hasSession'
  | 'createSession'
  | 'unlock'
  | 'attemptStatus'
  | 'wipeSession'
  | 'lock'
  | 'lockAll'
  | 'settle'
  | 'prepareKdf'
>;

/** What the coordinator asks of the IdP client (idp-client.ts); fakes in unit tests. */
export type AuthIdp = Pick<
  IdpClient,
  | 'policy'
  | 'discoveryCache'
  | 'jwks'
  | 'times'
  | 'probe'
  | 'signInDeps'
  | 'signOutDeps'
  | 'refresher'
  | 'revokeUnsealed'
  | 'queueRevocation'
  | 'protectRecords'
>;

/** Timing the coordinator's parts take (tests shorten them). */
export interface CoordinatorTiming {
  /** Longest wait between two decisions (default one minute). */
  decisionIntervalMs?: number;
  /** Probe timing of the network watch. */
  network?: Pick<NetworkWatchOptions, 'offlineMinMs' | 'offlineMaxMs' | 'onlineIntervalMs'>;
  /** How often the wall clock and the network interfaces are compared (wake-signals.ts). */
  wakeCheckIntervalMs?: number;
  /** How long a browser sign-in may take (default 10 minutes). */
  signInTimeoutMs?: number;
}

export interface CoordinatorParts {
  deps: AuthServiceDeps;
  configuration: Extract<Configuration, { ok: true }>;
  audit: AuthAudit;
  vault: AuthVault;
  idp: AuthIdp;
  timing: CoordinatorTiming;
}

export class Coordinator {
  readonly deps: AuthServiceDeps;
  readonly configuration: Extract<Configuration, { ok: true }>;
  readonly policy: Policy;
  readonly audit: AuthAudit;
  readonly vault: AuthVault;
  readonly idp: AuthIdp;
  readonly timing: CoordinatorTiming;
  readonly keys: KeyRelease;
  readonly publisher: StatePublisher;
  /** The decision (tier and reason) last audited per account, so decision events are recorded once per change. */
  readonly auditedReasons = new Map<string, string>();
  selectedAccountId: string | undefined;
  notice: Notice | null = null;
  /** Whether the IdP answered at the last contact (session-upkeep.ts keeps it current). */
  online: () => boolean = () => false;
  /** Runs before each push of the state (session-upkeep.ts: the probe schedule follows the phase). */
  beforePublish: () => void = () => undefined;
  disposed = false;
  private current: Phase = IDLE;
  private intents: Promise<unknown> = Promise.resolve();
  /** Work started in the background (calibration, revocations of unsealed sign-ins): awaited at dispose. */
  private readonly background = new Set<Promise<unknown>>();
  private readonly checkInListeners = new Set<(accountId: string) => void>();

  constructor(parts: CoordinatorParts) {
    this.deps = parts.deps;
    this.configuration = parts.configuration;
    this.policy = parts.configuration.loaded.policy;
    this.audit = parts.audit;
    this.vault = parts.vault;
    this.idp = parts.idp;
    this.timing = parts.timing;
    this.keys = new KeyRelease(this.vault);
    this.publisher = new StatePublisher({ status: 'signed-out', notice: null }, () => this.derive(), this.deps.log);
  }

  get phase(): Phase {
    return this.current;
  }

  /** The unlocked account's session, in the `unlocked` phase only. */
  get active(): AccountSession | undefined {
    return this.current.kind === 'unlocked' ? this.current.session : undefined;
  }

  /**
   * The one place the phase changes. Leaving `unlocked` drops the key (key-release.ts); leaving an
   * unlock or a seal in progress locks that account in the vault, so the key being derived is
   * dropped as soon as it arrives.
   */
  transition(next: Phase, reason: string): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    if (previous.kind === 'unlocked') {
      this.selectedAccountId = previous.session.accountId;
      this.keys.release(previous.session);
      this.deps.log(`locked (${reason})`);
    }
    const deriving = keyInProgress(previous);
    const unlockedIt = next.kind === 'unlocked' && next.session.accountId === deriving;
    if (deriving !== undefined && keyInProgress(next) !== deriving && !unlockedIt) this.vault.lock(deriving);
  }

  /** Whether `phase` is still the current phase (nothing replaced it while its work awaited). */
  isCurrent(phase: Phase): boolean {
    return this.current === phase;
  }

  /** Ends every phase at dispose: nothing commits afterwards. Returns the phase that was current. */
  endAll(): Phase {
    const previous = this.current;
    this.current = IDLE;
    this.disposed = true;
    return previous;
  }

  /** Calls `listener` after each successful online check-in of the unlocked account (a refresh, a completed sign-in). */
  onCheckIn(listener: (accountId: string) => void): () => void {
    this.checkInListeners.add(listener);
    return () => this.checkInListeners.delete(listener);
  }

  /** An online check-in of `active` succeeded: the check-in listeners run (the sync engine pushes). */
  checkedIn(active: AccountSession): void {
    if (this.active !== active || active.isLocked) return;
    for (const listener of this.checkInListeners) listener(active.accountId);
  }

  /** Intents run one after the other. */
  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.intents.then(task, task);
    this.intents = run.catch(() => undefined);
    return run;
  }

  inBackground(task: Promise<unknown>, what: string): void {
    const tracked = task
      .catch((error: unknown) => this.deps.log(`${what} failed: ${errorCode(error)}`))
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Resolves when the running intent and the background work are done. */
  async settled(): Promise<void> {
    await Promise.allSettled([this.intents, ...this.background]);
  }

  assertRunning(): void {
    if (this.disposed) throw new FieldKeyError('app_unavailable', 'FieldKey is shutting down.');
  }

  /** Unlock, switch and a new sign-in wait until a running sign-in or PIN set-up is finished or cancelled. */
  assertIdle(): void {
    this.assertRunning();
    if (this.current.kind === 'signing-in' || this.current.kind === 'pin-setup')
      throw new FieldKeyError('sign_in_in_progress', 'A sign-in is in progress. Finish it or cancel it first.');
  }

  requireAccount(accountId: string): Account {
    const account = this.vault.getAccount(accountId);
    if (!account) throw new FieldKeyError('unknown_account', 'There is no such account on this laptop.');
    return account;
  }

  maxAttempts(): number {
    return Math.max(1, Math.floor(this.policy.pin.maxAttempts));
  }

  publish(): Promise<void> {
    if (!this.disposed) this.beforePublish();
    return this.publisher.publish();
  }

  private async derive(): Promise<AppState> {
    const phase = this.current;
    const signingIn = phase.kind === 'signing-in' ? phase : undefined;
    const pinSetup = phase.kind === 'pin-setup' ? phase : undefined;
    const facts = await collectFacts(
      {
        configuration: this.configuration.facts,
        vault: this.vault,
        times: this.idp.times,
        maxAttempts: this.maxAttempts(),
        log: this.deps.log,
      },
      {
        ...(signingIn ? { signingIn: { purpose: signingIn.purpose, account: signingIn.account } } : {}),
        ...(pinSetup
          ? {
              pinSetup: {
                account: accountView({
                  id: pinSetup.result.accountId,
                  displayName: pinSetup.result.identity.displayName,
                  email: pinSetup.result.identity.email ?? null,
                }),
              },
            }
          : {}),
        ...(this.active ? { active: this.active } : {}),
        online: this.online(),
        ...(this.selectedAccountId !== undefined ? { selectedAccountId: this.selectedAccountId } : {}),
        notice: this.notice,
      },
    );
    return deriveState(facts);
  }
}
