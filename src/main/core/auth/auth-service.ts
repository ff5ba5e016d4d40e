/**
 * The auth service (auth-service-port.ts): the policy, the offline decision, sealed sessions and the
 * OAuth client composed into one state per account (DESIGN.md sections 1-4, issue 5).
 *
 * Facts, not flags: the state is `deriveState(facts)` (auth/state-derivation.ts) over the policy, the
 * accounts and their sealed sessions, a sign-in or PIN set-up in progress, and the unlocked account
 * (a key in memory) with its latest decision. Nothing says "unlocked" on disk. Each change is pushed
 * to subscribers once, and only when the derived state differs.
 *
 * When it decides again: after every intent, at the decision's next boundary (`exp`, `exp` + grace,
 * check-in due) and at least every minute (auth/decision-timer.ts), after every refresh, and when
 * the network watch (auth/network-watch.ts) sees the IdP come or go. Each decision raises the
 * clock's high-water mark (auth/access-decision.ts).
 *
 * Online: refresh at once on unlock and on reconnect, then on the refresh timer; a refresh refused
 * with `invalid_grant` wipes the account's sealed session (the refresher does it), is audited as
 * `revocation_detected`, and signs that account out (its notes stay: they are keyed by account id and
 * owned by field-notes.ts). Queued revocations are flushed and a stale JWKS re-fetched on every
 * successful contact.
 *
 * Sign-in: the tokens of a completed browser sign-in stay in main-process memory only, until the
 * PIN seals them (`setPin`); a crash in between loses only the sign-in. A "Forgot PIN?" sign-in
 * replaces the account's sealed session (new device key, counter reset) when its new PIN is set; if
 * it is abandoned, the old session stays as it was.
 *
 * Locking drops the key: the state changes at once; the vault zeroes the key material as soon as a
 * refresh in flight (if any) has sealed its rotated refresh token, which is already spent at the IdP.
 */
import type { AccountView, AppState, Notice, SignInPurpose } from '../../../shared/app-state';
import { FieldKeyError, isFieldKeyError } from '../../../shared/errors';
import type { Account } from '../accounts/account-store';
import { AuditLog } from '../audit/audit-log';
import { keychainService } from '../environment';
import type { SignInResult } from '../oauth/sign-in';
import { flushRevocations, signOut as revokeAndWipe } from '../oauth/sign-out';
import type { Policy } from '../policy/policy-types';
import { UnlockError, type AttemptStatus } from '../secrets/attempt-counter';
import { createSessionVault } from '../secrets/create-session-vault';
import { createKeytarSecretStore } from '../../adapters/keychain/keytar-secret-store';
import { assertPinAllowed } from '../secrets/pin-policy';
import type { SecretStore } from '../secrets/secret-store';
import type { SessionVault } from '../secrets/session-vault';
import type { UnlockedSession } from '../secrets/unlocked-session';
import { confirmClockOnline, decideAccess } from './access-decision';
import { AccountSession, type RefreshOutcome } from './account-session';
import { AuthAudit, decisionKey } from './auth-audit';
import { loadConfiguration, policyInvalidDetails, type Configuration, type PolicyLoadOptions } from './configuration';
import { DecisionTimer, DEFAULT_DECISION_INTERVAL_MS, nextDecisionDelayMs } from './decision-timer';
import { errorCode } from './error-code';
import { IdpClient } from './idp-client';
import { KeyRelease } from './key-release';
import { misconfiguredService } from './misconfigured-service';
import { NetworkWatch, type NetworkWatchOptions } from './network-watch';
import { errorNotice, revokedNotice, signedOutNotice, tooManyAccountsNotice, wrongAccountNotice } from './notices';
import { beginBrowserSignIn, type BrowserSignIn } from './sign-in-flow';
import { deriveState } from './state-derivation';
import { accountView, collectFacts } from './state-facts';
import { StatePublisher } from './state-publisher';
import { watchWakeSignals } from '../../adapters/os/wake-signals';
import type { ApiConnection } from '../sync/sync-engine';
import type { AccountAccess, AuthService, AuthServiceDeps, CreateAuthService, LockReason, SignInRequest, SignInStarted, WakeReason } from './auth-service-port';

/** Settings besides the app's dependencies: the packaged shell's policy rules, and test timing. */
export interface AuthServiceOptions extends PolicyLoadOptions {
  /** Default: the OS keychain under `keychainService(deps.env)`. */
  secrets?: SecretStore;
  /** Longest wait between two decisions (default one minute). */
  decisionIntervalMs?: number;
  /** Probe timing of the network watch. */
  network?: Pick<NetworkWatchOptions, 'offlineMinMs' | 'offlineMaxMs' | 'onlineIntervalMs'>;
  /** How often the wall clock and the network interfaces are compared (auth/wake-signals.ts). */
  wakeCheckIntervalMs?: number;
  /** Per-request HTTP timeout. */
  httpTimeoutMs?: number;
  /** How long a browser sign-in may take (default 10 minutes). */
  signInTimeoutMs?: number;
}

export const createAuthService: CreateAuthService = (deps) => createAuthServiceWith(deps, {});

export async function createAuthServiceWith(deps: AuthServiceDeps, options: AuthServiceOptions): Promise<AuthService> {
  const audit = new AuthAudit(new AuditLog(deps.db, deps.clock), deps.log);
  const configuration = await loadConfiguration(deps.env, deps.platform, options);
  if (!configuration.ok) {
    deps.log(`policy refused (${configuration.code}); FieldKey stays misconfigured until IT fixes it`);
    audit.record('policy_invalid', null, policyInvalidDetails(configuration));
    return misconfiguredService(deriveState({ configuration: configuration.facts, accounts: [], notice: null }));
  }
  const service = new ComposedAuthService(deps, configuration, audit, options);
  await service.start();
  return service;
}

interface SigningIn {
  purpose: SignInPurpose;
  account: AccountView | null;
  flow: BrowserSignIn;
}

interface PinSetup {
  purpose: SignInPurpose;
  result: SignInResult;
}

class ComposedAuthService implements AuthService {
  private readonly policy: Policy;
  private readonly idp: IdpClient;
  private readonly vault: SessionVault;
  private readonly watch: NetworkWatch;
  private readonly decisionTimer: DecisionTimer;
  private readonly publisher: StatePublisher;
  private readonly keys: KeyRelease;
  private stopWakeSignals: (() => void) | undefined;

  private active: AccountSession | undefined;
  private signingIn: SigningIn | undefined;
  private pinSetup: PinSetup | undefined;
  private selectedAccountId: string | undefined;
  private notice: Notice | null = null;
  /** An account being unlocked or sealed right now: `lock()` wins over it. */
  private unlocking: string | undefined;
  /** Counts `lock()` calls: an unlock or seal that started before a lock ends locked. */
  private locks = 0;
  /** The decision (tier and reason) last audited per account, so decision events are recorded once per change. */
  private readonly auditedReasons = new Map<string, string>();
  private intents: Promise<unknown> = Promise.resolve();
  private chores: Promise<void> | undefined;
  /** Work started in the background (calibration, revocations of unsealed sign-ins): awaited by `dispose()`. */
  private readonly background = new Set<Promise<unknown>>();
  private readonly checkInListeners = new Set<(accountId: string) => void>();
  private disposed = false;

  constructor(
    private readonly deps: AuthServiceDeps,
    private readonly configuration: Extract<Configuration, { ok: true }>,
    private readonly audit: AuthAudit,
    private readonly options: AuthServiceOptions,
  ) {
    this.policy = configuration.loaded.policy;
    const secrets = options.secrets ?? createKeytarSecretStore({ service: keychainService(deps.env), platform: deps.platform });
    this.idp = new IdpClient({
      policy: this.policy,
      db: deps.db,
      clock: deps.clock,
      fetch: deps.fetch,
      secrets,
      ...(options.httpTimeoutMs !== undefined ? { timeoutMs: options.httpTimeoutMs } : {}),
    });
    this.vault = createSessionVault({ db: deps.db, policy: this.policy, clock: deps.clock, secrets });
    this.keys = new KeyRelease(this.vault);
    this.publisher = new StatePublisher({ status: 'signed-out', notice: null }, () => this.derive(), deps.log);
    this.watch = new NetworkWatch({
      ...options.network,
      probe: () => this.idp.probe(),
      onReconnect: () => this.reconnected(),
      onChange: (online) => {
        this.active?.setOnline(online);
        void this.publish();
      },
    });
    this.decisionTimer = new DecisionTimer(() => void this.redecide());
  }

  async start(): Promise<void> {
    const { loaded } = this.configuration;
    this.deps.log(`policy: issuer ${this.policy.issuer} (${loaded.source.kind})`);
    this.audit.applyRetention(this.policy);
    if (loaded.bundledJwksPath) {
      try {
        this.audit.jwks(this.policy.issuer, 'bundled', await this.idp.jwks.importBundledFile(loaded.bundledJwksPath));
      } catch (error) {
        this.deps.log(`bundled JWKS not imported: ${errorCode(error)}`);
      }
    }
    // With a target unlock time, calibrate Argon2id now so the first PIN set-up does not wait.
    this.inBackground(this.vault.prepareKdf(), 'Argon2id calibration');
    await this.redecide();
    this.watch.start();
    this.stopWakeSignals = watchWakeSignals({
      clock: this.deps.clock,
      onClockJump: (jumpMs) => this.wake('clock-jump', `${Math.round(jumpMs / 1000)} s`),
      onNetworkChange: () => this.wake('network-change'),
      ...(this.options.wakeCheckIntervalMs !== undefined ? { intervalMs: this.options.wakeCheckIntervalMs } : {}),
    });
  }

  // ---- state ----

  getState(): AppState {
    return this.publisher.current;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    return this.publisher.subscribe(listener);
  }

  activeAccountId(): string | undefined {
    return this.active && !this.active.isLocked ? this.active.accountId : undefined;
  }

  idleLockMinutes(): number | undefined {
    return this.policy.idleLockMinutes;
  }

  async accessFor(accountId: string): Promise<AccountAccess> {
    this.watch.nudge(); // every note read or write is an intent: offline, look for the IdP again
    const active = this.active;
    if (!active || active.accountId !== accountId || active.isLocked) return 'locked';
    await this.evaluate(active);
    if (this.active !== active || !active.decided) return 'locked';
    await this.publish();
    return active.decided.decision.decision;
  }

  apiCredentials(accountId: string): ApiConnection | undefined {
    const api = this.policy.api;
    if (!api) return undefined;
    const active = this.active;
    if (!active || active.accountId !== accountId || active.isLocked) return { baseUrl: api.baseUrl, credentials: undefined };
    return {
      baseUrl: api.baseUrl,
      credentials: {
        tokens: () => {
          const { accessToken, expiresAt } = active.tokens();
          return { ...(accessToken !== undefined ? { accessToken } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) };
        },
        refresh: async () => {
          const outcome = await active.refresh();
          return outcome.ok ? { ok: true } : { ok: false, offline: outcome.offline, revoked: outcome.revoked };
        },
        access: () => this.accessFor(accountId),
      },
    };
  }

  onCheckIn(listener: (accountId: string) => void): () => void {
    this.checkInListeners.add(listener);
    return () => this.checkInListeners.delete(listener);
  }

  // ---- intents ----

  beginSignIn(request: SignInRequest): Promise<SignInStarted> {
    return this.serial(async () => {
      this.assertIdle();
      const known = request.accountId === undefined ? undefined : this.requireAccount(request.accountId);
      if ((request.purpose === 'forgot-pin' || request.purpose === 'reconnect') && !known) {
        throw new FieldKeyError('invalid_argument', 'This sign-in needs the account it is for.');
      }
      if (request.purpose === 'add-account' && this.vault.listAccounts().length >= this.policy.maxAccounts) {
        throw new FieldKeyError('too_many_accounts', tooManyAccountsNotice(this.policy.maxAccounts).message);
      }
      this.notice = null;
      let flow: BrowserSignIn;
      try {
        flow = await beginBrowserSignIn(this.idp, {
          ...(known?.email ? { loginHint: known.email } : {}),
          ...(this.options.signInTimeoutMs !== undefined ? { timeoutMs: this.options.signInTimeoutMs } : {}),
          onRefused: (reason) => this.deps.log(`sign-in listener refused a request (${reason})`),
        });
      } catch (error) {
        if (isFieldKeyError(error, 'idp_unreachable')) this.watch.report(false);
        await this.publish();
        throw error;
      }
      this.watch.report(true);
      this.lockActive('sign-in');
      const signingIn: SigningIn = { purpose: request.purpose, account: known ? accountView(known) : null, flow };
      this.signingIn = signingIn;
      this.inBackground(
        flow.result.then(
          (result) => this.signInCompleted(signingIn, result),
          (error: unknown) => this.signInFailed(signingIn, error),
        ),
        'completing the sign-in',
      );
      await this.publish();
      return flow.started;
    });
  }

  cancelSignIn(): Promise<void> {
    return this.serial(async () => {
      const { signingIn, pinSetup } = this;
      if (!signingIn && !pinSetup) throw new FieldKeyError('not_signing_in', 'No sign-in is in progress.');
      this.signingIn = undefined;
      this.pinSetup = undefined;
      signingIn?.flow.cancel();
      if (pinSetup) this.revokeUnsealed(pinSetup.result);
      await this.publish();
    });
  }

  setPin(pin: string, confirm: string): Promise<void> {
    return this.serial(async () => {
      const pending = this.pinSetup;
      if (!pending) throw new FieldKeyError('not_in_pin_setup', 'There is no new sign-in waiting for a PIN.');
      if (pin !== confirm) throw new FieldKeyError('pin_mismatch', 'The two PINs do not match. Type the same PIN twice.');
      assertPinAllowed(pin, this.policy.pin);
      this.notice = null;
      const { accountId, identity, tokens } = pending.result;
      const locks = this.locks;
      let session: UnlockedSession | undefined;
      this.unlocking = accountId;
      try {
        await this.keys.released(accountId);
        this.vault.addAccount(identity);
        session = await this.vault.createSession(accountId, pin, tokens);
      } catch (error) {
        // Locked (idle, suspend) while sealing: the session is sealed, just not unlocked.
        if (!(isFieldKeyError(error, 'session_locked') && this.vault.hasSession(accountId))) throw error;
      } finally {
        this.unlocking = undefined;
      }
      this.pinSetup = undefined;
      this.audit.record('pin_changed', accountId, { reason: pending.purpose });
      if (!session || this.locks !== locks) {
        this.vault.lock(accountId);
        this.selectedAccountId = accountId;
        await this.publish();
        return;
      }
      const active = await this.activate(session, accountView(this.requireAccount(accountId)), { refreshNow: false });
      this.checkedIn(active); // a completed sign-in is an online check-in too
    });
  }

  unlock(accountId: string, pin: string): Promise<void> {
    return this.serial(async () => {
      this.assertIdle();
      const account = this.requireAccount(accountId);
      this.notice = null;
      if (this.activeAccountId() === accountId) return;
      this.lockActive('unlock');
      const locks = this.locks;
      const hadSession = this.vault.hasSession(accountId);
      let session: UnlockedSession;
      let before: AttemptStatus | undefined;
      this.unlocking = accountId;
      try {
        await this.keys.released(accountId);
        before = await this.vault.attemptStatus(accountId).catch(() => undefined);
        session = await this.vault.unlock(accountId, pin);
      } catch (error) {
        this.unlockFailed(account, error, hadSession);
        await this.publish();
        throw error;
      } finally {
        this.unlocking = undefined;
      }
      if (this.locks !== locks) {
        this.vault.lock(accountId);
        await this.publish();
        throw new FieldKeyError('session_locked', 'FieldKey was locked while the account was being unlocked.');
      }
      const active = await this.activate(session, accountView(account), { refreshNow: true });
      this.audit.record('unlock_ok', accountId, { access: active.decided?.decision.decision ?? null, failedAttempts: before?.failures ?? null });
    });
  }

  lock(reason: LockReason): void {
    this.locks++;
    if (this.unlocking) this.vault.lock(this.unlocking); // lock wins over an unlock or seal in progress
    if (this.pinSetup && this.pinSetup.result.accountId !== this.unlocking) {
      // An unsealed sign-in never outlives a lock: its tokens are dropped and revoked.
      this.revokeUnsealed(this.pinSetup.result);
      this.pinSetup = undefined;
    }
    this.lockActive(reason);
    void this.publish();
  }

  signOut(): Promise<void> {
    return this.serial(async () => {
      const active = this.active;
      if (!active) throw new FieldKeyError('not_unlocked', 'Unlock FieldKey to sign out.');
      this.notice = null;
      active.stop();
      await active.idle();
      this.active = undefined;
      let refreshToken: string | undefined;
      try {
        refreshToken = active.tokens().refreshToken;
      } catch {
        refreshToken = undefined; // already locked or wiped
      }
      const id = active.accountId;
      const outcome = await revokeAndWipe(this.idp.signOutDeps(), { refreshToken, wipe: () => this.vault.wipeSession(id) });
      if (outcome === 'revoked' || outcome === 'refused') this.watch.report(true);
      if (outcome === 'queued' || outcome === 'not_queued') this.watch.report(false);
      this.audit.record('sign_out', id, { reason: 'user', revocationQueued: outcome === 'queued' });
      this.auditedReasons.delete(id);
      this.selectedAccountId = id;
      this.notice = signedOutNotice(active.account, outcome);
      await this.publish();
    });
  }

  switchAccount(accountId: string): Promise<void> {
    return this.serial(async () => {
      this.assertIdle();
      this.requireAccount(accountId);
      this.notice = null;
      this.lockActive('switch');
      this.selectedAccountId = accountId;
      await this.publish();
    });
  }

  async retry(): Promise<void> {
    this.assertRunning();
    this.notice = null;
    const active = this.active;
    if (active) {
      const outcome = await active.refresh();
      if (!outcome.ok && outcome.offline) throw unreachable();
      return;
    }
    if (!(await this.watch.checkNow())) {
      await this.publish();
      throw unreachable();
    }
    await this.onlineChores();
    await this.redecide();
  }

  wake(reason: WakeReason, detail?: string): void {
    if (this.disposed) return;
    this.deps.log(`deciding again (${reason}${detail ? `, ${detail}` : ''})`);
    void this.redecide();
    const active = this.active;
    if (!active) return;
    // Unreachable (or the network changed): probe now; a reconnect refreshes at once.
    if (!this.watch.online || reason === 'network-change') void this.watch.checkNow();
    else if (active.isDue()) void active.refresh();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const closing = this.publisher.close(); // a disposed service pushes nothing more
    this.stopWakeSignals?.();
    this.watch.stop();
    this.decisionTimer.stop();
    this.signingIn?.flow.cancel();
    this.signingIn = undefined;
    if (this.pinSetup) await this.idp.queueRevocation(this.pinSetup.result.tokens).catch((error: unknown) => this.deps.log(`queueing a revocation failed: ${errorCode(error)}`));
    this.pinSetup = undefined;
    const active = this.active;
    this.active = undefined;
    active?.stop();
    await active?.idle();
    this.vault.lockAll();
    await Promise.allSettled([this.keys.all(), this.chores, this.intents, ...this.background]);
    await closing;
    await this.vault.settle();
  }

  // ---- sign-in completion ----

  private signInCompleted(signingIn: SigningIn, result: SignInResult): Promise<void> {
    return this.serial(async () => {
      if (this.signingIn !== signingIn) return this.revokeUnsealed(result); // cancelled meanwhile
      this.signingIn = undefined;
      this.watch.report(true);
      const expected = signingIn.account;
      if (expected && expected.id !== result.accountId) {
        this.notice = wrongAccountNotice(expected, result.identity.displayName);
        this.revokeUnsealed(result);
      } else if (!this.vault.getAccount(result.accountId) && this.vault.listAccounts().length >= this.policy.maxAccounts) {
        this.notice = tooManyAccountsNotice(this.policy.maxAccounts);
        this.revokeUnsealed(result);
      } else {
        this.pinSetup = { purpose: signingIn.purpose, result };
        this.audit.record('sign_in', result.accountId, { issuer: this.policy.issuer, reason: signingIn.purpose, redirectMode: this.policy.redirect.mode });
        confirmClockOnline({ clock: this.deps.clock, times: this.idp.times }, this.policy);
      }
      await this.publish();
    });
  }

  private signInFailed(signingIn: SigningIn, error: unknown): Promise<void> {
    return this.serial(async () => {
      if (this.signingIn !== signingIn) return;
      this.signingIn = undefined;
      if (isFieldKeyError(error, 'offline') || isFieldKeyError(error, 'idp_unavailable')) this.watch.report(false);
      if (!isFieldKeyError(error, 'sign_in_cancelled')) {
        this.deps.log(`sign-in failed: ${errorCode(error)}`);
        this.notice = errorNotice(error, 'sign_in_failed');
      }
      await this.publish();
    });
  }

  /** A sign-in that will never be sealed: its refresh token is revoked (or queued), in the background. */
  private revokeUnsealed(result: SignInResult): void {
    this.inBackground(this.idp.revokeUnsealed(result.tokens), 'revoking an unsealed sign-in');
  }

  private inBackground(task: Promise<unknown>, what: string): void {
    const tracked = task.catch((error: unknown) => this.deps.log(`${what} failed: ${errorCode(error)}`)).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  // ---- the unlocked account ----

  private async activate(session: UnlockedSession, account: AccountView, { refreshNow }: { refreshNow: boolean }): Promise<AccountSession> {
    const active = new AccountSession({
      account,
      session,
      clock: this.deps.clock,
      refresher: this.idp.refresher(session, () => this.vault.wipeSession(account.id)),
      decide: (tokens) =>
        decideAccess({ policy: this.policy, clock: this.deps.clock, times: this.idp.times, jwks: this.idp.jwks, online: () => this.watch.online }, account.id, tokens),
      onRefreshed: (refreshed, outcome) => this.refreshed(refreshed, outcome),
    });
    this.active = active;
    this.selectedAccountId = account.id;
    await this.redecide();
    if (this.active !== active) return active;
    if (this.watch.online) {
      active.setOnline(true);
      if (refreshNow) void active.refresh();
    } else if (refreshNow) {
      void this.watch.checkNow(); // reachable again? then the reconnect refreshes at once
    }
    return active;
  }

  private unlockFailed(account: Account, error: unknown, hadSession: boolean): void {
    if (!(error instanceof UnlockError)) return;
    const max = this.maxAttempts();
    switch (error.code) {
      case 'wrong_pin':
        this.audit.record('unlock_failed', account.id, { failedAttempts: max - error.attemptsLeft, remainingAttempts: error.attemptsLeft });
        break;
      case 'lockout_wipe':
      case 'locked_out': // the maximum was reached earlier; the vault finishes a wipe that did not complete
        if (hadSession) this.audit.record('lockout_wipe', account.id, { failedAttempts: max });
        this.auditedReasons.delete(account.id);
        this.selectedAccountId = account.id;
        this.notice = { code: error.code, message: error.message };
        break;
      default:
        break;
    }
  }

  /** Drops the unlocked account: the state at once, the key material as key-release.ts says. */
  private lockActive(reason: string): void {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    this.selectedAccountId = active.accountId;
    this.keys.release(active);
    this.deps.log(`locked (${reason})`);
  }

  /** Every refresh's outcome, once (see account-session.ts). */
  private async refreshed(active: AccountSession, outcome: RefreshOutcome): Promise<void> {
    const id = active.accountId;
    this.audit.refresh(id, outcome, !this.vault.hasSession(id));
    const lockedMeanwhile = !outcome.ok && isFieldKeyError(outcome.error, 'session_locked');
    if (!lockedMeanwhile) this.watch.report(outcome.ok || !outcome.offline); // a refusal is an answer too
    if (outcome.ok) {
      confirmClockOnline({ clock: this.deps.clock, times: this.idp.times }, this.policy);
      void this.onlineChores();
    } else if (outcome.revoked) {
      // The refresher has wiped the sealed session; the account is signed out, its notes stay.
      this.deps.log('session revoked at the IdP: the sealed session was wiped');
      active.stop();
      this.auditedReasons.delete(id);
      if (this.active === active) {
        this.active = undefined;
        this.selectedAccountId = id;
        this.notice = revokedNotice(active.account);
      }
    } else if (!outcome.offline && !lockedMeanwhile && this.active === active) {
      this.notice = errorNotice(outcome.error, 'refresh_failed');
    }
    await this.redecide();
    if (outcome.ok) this.checkedIn(active);
  }

  private checkedIn(active: AccountSession): void {
    if (this.active !== active || active.isLocked) return;
    for (const listener of this.checkInListeners) listener(active.accountId);
  }

  /** After any successful contact: a stale JWKS is fetched again and queued revocations are sent. */
  private onlineChores(): Promise<void> {
    this.chores ??= (async () => {
      try {
        this.audit.jwksSync(this.policy.issuer, 'stale', await this.idp.jwks.syncIfStale());
        const flushed = await flushRevocations(this.idp.signOutDeps());
        if (flushed.sent > 0) this.deps.log(`sent ${flushed.sent} queued revocation(s)`);
      } catch (error) {
        this.deps.log(`online upkeep failed: ${errorCode(error)}`);
      }
    })().finally(() => {
      this.chores = undefined;
    });
    return this.chores;
  }

  private reconnected(): void {
    this.deps.log('identity provider reachable');
    void this.onlineChores();
    const active = this.active;
    if (active) {
      active.setOnline(true);
      void active.refresh();
    }
  }

  // ---- deciding and publishing ----

  /** Decides the unlocked account again (or just raises the high-water mark), publishes, re-arms the timer. */
  private async redecide(): Promise<void> {
    if (this.disposed) return;
    const active = this.active;
    try {
      if (active) await this.evaluate(active);
      else this.idp.times.raiseHighWater(this.deps.clock.now());
    } catch (error) {
      this.deps.log(`decision failed: ${errorCode(error)}`);
    }
    await this.publish();
    const decision = this.active?.decided?.decision;
    this.decisionTimer.schedule(
      nextDecisionDelayMs(this.deps.clock.now().getTime(), decision, this.policy.clockSkewSeconds, this.options.decisionIntervalMs ?? DEFAULT_DECISION_INTERVAL_MS),
    );
  }

  private async evaluate(active: AccountSession): Promise<void> {
    let decided;
    try {
      decided = await active.decide();
    } catch (error) {
      if (isFieldKeyError(error, 'session_locked')) return; // locked meanwhile
      throw error;
    }
    if (this.active !== active) return;
    this.audit.jwksSync(this.policy.issuer, 'unknown-kid', decided.jwksSync);
    this.audit.decision(active.accountId, this.auditedReasons.get(active.accountId), decided, this.policy);
    this.auditedReasons.set(active.accountId, decisionKey(decided.decision));
  }

  private publish(): Promise<void> {
    // The probe schedule runs only while an account is unlocked (auth/network-watch.ts).
    if (!this.disposed) this.watch.setActive(this.active !== undefined);
    return this.publisher.publish();
  }

  private async derive(): Promise<AppState> {
    const { signingIn, pinSetup } = this;
    const facts = await collectFacts(
      { configuration: this.configuration.facts, vault: this.vault, times: this.idp.times, maxAttempts: this.maxAttempts(), log: this.deps.log },
      {
        ...(signingIn ? { signingIn: { purpose: signingIn.purpose, account: signingIn.account } } : {}),
        ...(pinSetup ? { pinSetup: { account: accountView({ id: pinSetup.result.accountId, displayName: pinSetup.result.identity.displayName, email: pinSetup.result.identity.email ?? null }) } } : {}),
        ...(this.active ? { active: this.active } : {}),
        online: this.watch.online,
        ...(this.selectedAccountId !== undefined ? { selectedAccountId: this.selectedAccountId } : {}),
        notice: this.notice,
      },
    );
    return deriveState(facts);
  }

  // ---- helpers ----

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.intents.then(task, task);
    this.intents = run.catch(() => undefined);
    return run;
  }

  private assertRunning(): void {
    if (this.disposed) throw new FieldKeyError('app_unavailable', 'FieldKey is shutting down.');
  }

  /** Unlock, switch and a new sign-in wait until a running sign-in or PIN set-up is finished or cancelled. */
  private assertIdle(): void {
    this.assertRunning();
    if (this.signingIn || this.pinSetup) throw new FieldKeyError('sign_in_in_progress', 'A sign-in is in progress. Finish it or cancel it first.');
  }

  private requireAccount(accountId: string): Account {
    const account = this.vault.getAccount(accountId);
    if (!account) throw new FieldKeyError('unknown_account', 'There is no such account on this laptop.');
    return account;
  }

  private maxAttempts(): number {
    return Math.max(1, Math.floor(this.policy.pin.maxAttempts));
  }
}

function unreachable(): FieldKeyError {
  return new FieldKeyError('idp_unreachable', 'FieldKey still cannot reach the sign-in service. Check the network connection and try again.');
}
