/**
 * The auth service (auth-service-port.ts): the policy, the offline decision, sealed sessions and the
 * OAuth client composed into one state per account. This module builds the parts and answers the
 * port; the coordinator (auth/coordinator.ts) holds the phase and its one transition, and the
 * intents live in modules named for their purpose:
 *  - auth/sign-in-intents.ts: the browser sign-in, its cancel and completion into a PIN set-up;
 *  - auth/unlock-intents.ts: the PIN set-up, unlock, lock, sign-out and account switch;
 *  - auth/session-upkeep.ts: refresh outcomes, reconnect, online chores, the decision timer, wake.
 *
 * Facts, not flags: the state is `deriveState(facts)` (auth/state-derivation.ts) over the policy, the
 * accounts and their sealed sessions, the phase, and the unlocked account (a key in memory) with its
 * latest decision. Nothing says "unlocked" on disk. Each change is pushed to subscribers once, and
 * only when the derived state differs.
 *
 * When it decides again: after every intent, at the decision's next boundary and at least every
 * minute (auth/decision-timer.ts), after every refresh, when the network watch sees the IdP come or
 * go, and on wake-up (a resume, a screen unlock, a clock jump, a network change). Each decision
 * raises the clock's high-water mark (auth/access-decision.ts).
 *
 * Online: refresh at once on unlock and on reconnect, then halfway through each token's lifetime; a
 * refresh refused with `invalid_grant` wipes the account's sealed session, is audited as
 * `revocation_detected`, and signs that account out (its notes stay). Queued revocations are
 * flushed and a stale JWKS re-fetched on every successful contact.
 *
 * At start, before anything of the run is audited, the audit chain is checked from its verified
 * checkpoint (auth/auth-audit.ts verifyAuditAtStart), then retention is applied; neither can stop
 * the service from starting.
 */
import type { AppState } from '../../../shared/app-state';
import { allowRetention, AuditHeadMirror, readMirroredAudit } from '../audit/audit-keying';
import { AuditLog } from '../audit/audit-log';
import type { Database } from '../../adapters/sqlite/database';
import { readAnchor, type AuditAnchor } from '../audit/audit-rows';
import { openRecordMac, type RecordMac } from '../records/record-mac';
import { createSessionVault } from '../secrets/create-session-vault';
import { keychainAccountIds, type SecretStore } from '../secrets/secret-store';
import { AuthAudit, verifyAuditAtStart } from './auth-audit';
import { loadConfiguration, policyInvalidDetails, type Configuration, type PolicyLoadOptions } from './configuration';
import { Coordinator, type AuthIdp, type AuthVault, type CoordinatorTiming } from './coordinator';
import { errorCode } from './error-code';
import { IdpClient } from './idp-client';
import { misconfiguredService } from './misconfigured-service';
import { lostDataNotice } from './notices';
import { SessionUpkeep } from './session-upkeep';
import { SignInIntents } from './sign-in-intents';
import { deriveState } from './state-derivation';
import { UnlockIntents } from './unlock-intents';
import type { ApiConnection } from '../sync/sync-engine';
import type {
  AccountAccess,
  AuthService,
  AuthServiceDeps,
  CreateAuthService,
  LockReason,
  SignInRequest,
  SignInStarted,
  WakeReason,
} from './auth-service-port';

export type { AuthIdp, AuthVault } from './coordinator';

/** Settings besides the app's dependencies: the packaged shell's policy rules, the parts, and test timing. */
export interface AuthServiceOptions extends PolicyLoadOptions, CoordinatorTiming {
  /** Default: `deps.secrets`. */
  secrets?: SecretStore;
  /** Default: the vault over `deps.db` and `secrets` (secrets/create-session-vault.ts). */
  vault?: AuthVault;
  /** Default: the IdP client over `deps.db`, `deps.fetch` and `secrets` (auth/idp-client.ts). */
  idp?: AuthIdp;
  /** Per-request HTTP timeout. */
  httpTimeoutMs?: number;
}

export const createAuthService: CreateAuthService = (deps) => createAuthServiceWith(deps, {});

export async function createAuthServiceWith(deps: AuthServiceDeps, options: AuthServiceOptions): Promise<AuthService> {
  const secrets = options.secrets ?? deps.secrets;
  // The head and the retention allowance kept in the keychain, read alongside the key, for the start-up check of the chain.
  const mirrored = readMirroredAudit(secrets);
  mirrored.catch(() => undefined); // awaited (and a failure logged) by verifyAuditAtStart
  // The per-installation key that signs the clock records and the audit chain (records/record-mac.ts).
  const recordKey = await openRecordMac(secrets).catch((error: unknown) => void deps.log(`local records not keyed: ${errorCode(error)}`));
  const auditLog = new AuditLog(deps.db, deps.clock);
  if (recordKey)
    auditLog.keyWith(recordKey.mac, new AuditHeadMirror(secrets, (error) => deps.log(`audit head not mirrored: ${errorCode(error)}`)), {
      onRewritten: (problem) =>
        deps.log(`audit log changed while FieldKey ran: seq ${problem.seq} ${problem.problem}; recorded as audit_tamper_detected`),
      allowRetention: (target) => allowRetention(secrets, target),
    });
  const audit = new AuthAudit(auditLog, deps.log);
  // Before anything of this run is appended (auth-audit.ts says why it runs here, synchronously).
  await verifyAuditAtStart({ db: deps.db, recordKey, mirrored, now: deps.clock.now(), audit, log: deps.log });
  if (recordKey) await adoptRetentionAnchor(deps.db, secrets, mirrored, deps.log);
  const configuration = await loadConfiguration(deps.env, deps.platform, options);
  if (!configuration.ok) {
    deps.log(`policy refused (${configuration.code}); FieldKey stays misconfigured until IT fixes it`);
    audit.record('policy_invalid', null, policyInvalidDetails(configuration));
    return misconfiguredService(deriveState({ configuration: configuration.facts, accounts: [], notice: null }));
  }
  const service = new ComposedAuthService(deps, configuration, audit, { ...options, secrets }, recordKey);
  await service.start();
  return service;
}

/**
 * An anchor retention moved before the keychain kept an allowance (audit-keying.ts): it becomes the
 * allowance once, so later moves outside FieldKey are seen. Never rejects.
 */
async function adoptRetentionAnchor(
  db: Database,
  secrets: SecretStore,
  mirrored: Promise<{ allowedAnchor: AuditAnchor | undefined }>,
  log: (line: string) => void,
): Promise<void> {
  try {
    const { allowedAnchor } = await mirrored;
    const anchor = readAnchor(db);
    if (allowedAnchor || anchor.seq === 0) return;
    await allowRetention(secrets, anchor);
    log(`audit retention anchor at seq ${anchor.seq} kept in the keychain`);
  } catch (error) {
    log(`audit retention anchor not kept in the keychain: ${errorCode(error)}`);
  }
}

class ComposedAuthService implements AuthService {
  private readonly c: Coordinator;
  private readonly upkeep: SessionUpkeep;
  private readonly signIn: SignInIntents;
  private readonly unlocks: UnlockIntents;
  private readonly secrets: SecretStore;

  constructor(
    deps: AuthServiceDeps,
    configuration: Extract<Configuration, { ok: true }>,
    audit: AuthAudit,
    options: AuthServiceOptions,
    recordKey?: { mac: RecordMac; created: boolean },
  ) {
    const policy = configuration.loaded.policy;
    const secrets = options.secrets ?? deps.secrets;
    this.secrets = secrets;
    const idp =
      options.idp ??
      new IdpClient({
        policy,
        db: deps.db,
        clock: deps.clock,
        fetch: deps.fetch,
        secrets,
        ...(options.httpTimeoutMs !== undefined ? { timeoutMs: options.httpTimeoutMs } : {}),
      });
    if (recordKey) idp.protectRecords(recordKey.mac, recordKey.created);
    const vault = options.vault ?? createSessionVault({ db: deps.db, policy, clock: deps.clock, secrets, recordMac: recordKey?.mac });
    this.c = new Coordinator({ deps, configuration, audit, vault, idp, timing: options });
    this.upkeep = new SessionUpkeep(this.c);
    this.signIn = new SignInIntents(this.c, this.upkeep);
    this.unlocks = new UnlockIntents(this.c, this.upkeep, this.signIn);
  }

  async start(): Promise<void> {
    const c = this.c;
    const { loaded } = c.configuration;
    c.deps.log(`policy: issuer ${c.policy.issuer} (${loaded.source.kind})`);
    await c.audit.applyRetention(c.policy);
    if (loaded.bundledJwksPath) {
      try {
        c.audit.jwks(c.policy.issuer, 'bundled', await c.idp.jwks.importBundledFile(loaded.bundledJwksPath));
      } catch (error) {
        c.deps.log(`bundled JWKS not imported: ${errorCode(error)}`);
      }
    }
    // With a target unlock time, calibrate Argon2id now so the first PIN set-up does not wait.
    c.inBackground(c.vault.prepareKdf(), 'Argon2id calibration');
    await this.noticeLostData();
    await this.upkeep.start();
  }

  /**
   * A database without accounts while the keychain still holds account entries: the accounts' data
   * was lost (the file deleted, emptied or replaced outside FieldKey), not never there. Said on the
   * first screen and in the audit log rather than passed off as a new install. The keychain entries
   * are kept: with a backup of the database restored they open its sessions again.
   */
  private async noticeLostData(): Promise<void> {
    const c = this.c;
    if (c.vault.listAccounts().length > 0) return;
    let lost: number;
    try {
      lost = (await keychainAccountIds(this.secrets)).size;
    } catch (error) {
      c.deps.log(`keychain entries not listed: ${errorCode(error)}`);
      return;
    }
    if (lost === 0) return;
    c.deps.log(`the database holds no accounts, but the keychain holds entries of ${lost} account(s): their data is gone`);
    c.audit.record('local_data_lost', null, { accounts: lost });
    c.notice = lostDataNotice(lost);
  }

  // ---- state ----

  getState(): AppState {
    return this.c.publisher.current;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    return this.c.publisher.subscribe(listener);
  }

  activeAccountId(): string | undefined {
    const active = this.c.active;
    return active && !active.isLocked ? active.accountId : undefined;
  }

  idleLockMinutes(): number | undefined {
    return this.c.policy.idleLockMinutes;
  }

  async accessFor(accountId: string): Promise<AccountAccess> {
    this.upkeep.watch.nudge(); // every note read or write is an intent: offline, look for the IdP again
    const active = this.c.active;
    if (!active || active.accountId !== accountId || active.isLocked) return 'locked';
    await this.upkeep.evaluate(active);
    if (this.c.active !== active || !active.decided) return 'locked';
    await this.c.publish();
    return active.decided.decision.decision;
  }

  // ---- intents ----

  beginSignIn(request: SignInRequest): Promise<SignInStarted> {
    return this.signIn.begin(request);
  }

  cancelSignIn(): Promise<void> {
    return this.signIn.cancel();
  }

  setPin(pin: string, confirm: string): Promise<void> {
    return this.unlocks.setPin(pin, confirm);
  }

  unlock(accountId: string, pin: string): Promise<void> {
    return this.unlocks.unlock(accountId, pin);
  }

  lock(reason: LockReason): void {
    this.unlocks.lock(reason);
  }

  signOut(): Promise<void> {
    return this.unlocks.signOut();
  }

  switchAccount(accountId: string): Promise<void> {
    return this.unlocks.switchAccount(accountId);
  }

  async retry(): Promise<void> {
    this.c.assertRunning();
    this.c.notice = null;
    await this.upkeep.retry();
  }

  wake(reason: WakeReason): void {
    this.upkeep.wake(reason);
  }

  // ---- the access token at work (sync/) ----

  apiCredentials(accountId: string): ApiConnection | undefined {
    const api = this.c.policy.api;
    if (!api) return undefined;
    const active = this.c.active;
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
    return this.c.onCheckIn(listener);
  }

  async dispose(): Promise<void> {
    const c = this.c;
    if (c.disposed) return;
    const closing = c.publisher.close(); // a disposed service pushes nothing more
    const phase = c.endAll(); // nothing commits after dispose; the keys are dropped below
    this.upkeep.stop();
    if (phase.kind === 'signing-in') phase.flow.cancel();
    if (phase.kind === 'pin-setup') await this.signIn.queueUnsealed(phase.result);
    if (phase.kind === 'unlocked') {
      phase.session.stop();
      await phase.session.idle();
    }
    c.vault.lockAll();
    await Promise.allSettled([c.keys.all(), this.upkeep.settled(), c.settled()]);
    await closing;
    await c.vault.settle();
  }
}
