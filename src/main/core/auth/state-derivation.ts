/**
 * The app's state as a pure function of facts: whether the policy is usable, which accounts exist and have a sealed session, a sign-in
 * or PIN set-up in progress, and the unlocked account with its latest offline decision. Nothing
 * here is persisted; "unlocked" is only ever "a key is in memory now".
 *
 * Precedence: misconfigured > signing in > PIN set-up > the unlocked account (`unlocked` with full
 * or read-only access, or `connection-required` when the decision is `denied`) > `locked` (some
 * account has a sealed session) > `signed-out` (none has).
 *
 * The decision's verified claims are read here for the roles and their age only; no claim, token
 * or key is ever copied into the state.
 */
import type {
  AccountView,
  AppState,
  ConfigurationProblem,
  LockedAccountView,
  Notice,
  PinRulesView,
  SignInPurpose,
  UnlockedState,
} from '../../../shared/app-state';
import type { DecisionReason, OfflineDecision } from '../offline/decision';

export type ConfigurationFacts =
  | { ok: true; pinRules: PinRulesView; maxAccounts: number }
  | { ok: false; summary: string; problems: ConfigurationProblem[]; source: string | null };

export interface AccountFacts {
  account: AccountView;
  hasSession: boolean;
  attemptsLeft: number;
  retryAt: Date | undefined;
}

export interface ActiveFacts {
  account: AccountView;
  /** The latest offline decision of the unlocked account's cached token, and when it was made. */
  decision: OfflineDecision;
  decidedAt: Date;
  lastCheckIn: Date | undefined;
  online: boolean;
}

export interface AuthFacts {
  configuration: ConfigurationFacts;
  accounts: readonly AccountFacts[];
  signingIn?: { purpose: SignInPurpose; account: AccountView | null };
  pinSetup?: { account: AccountView };
  active?: ActiveFacts;
  /** The account the lock screen starts on (last used or switched to). */
  selectedAccountId?: string;
  notice: Notice | null;
}

export function deriveState(facts: AuthFacts): AppState {
  const { configuration, notice } = facts;
  if (!configuration.ok) {
    return {
      status: 'misconfigured',
      notice,
      summary: configuration.summary,
      problems: configuration.problems,
      source: configuration.source,
    };
  }
  const canAddAccount = facts.accounts.length < configuration.maxAccounts;
  if (facts.signingIn) return { status: 'signing-in', notice, purpose: facts.signingIn.purpose, account: facts.signingIn.account };
  if (facts.pinSetup) return { status: 'pin-setup', notice, account: facts.pinSetup.account, rules: configuration.pinRules };
  if (facts.active) return activeState(facts.active, notice, canAddAccount);
  if (!facts.accounts.some((a) => a.hasSession)) return { status: 'signed-out', notice };
  return {
    status: 'locked',
    notice,
    accounts: facts.accounts.map(lockedView),
    selectedAccountId: selectedAccount(facts),
    canAddAccount,
  };
}

function lockedView(facts: AccountFacts): LockedAccountView {
  return { ...facts.account, hasSession: facts.hasSession, attemptsLeft: facts.attemptsLeft, retryAt: iso(facts.retryAt) };
}

function selectedAccount(facts: AuthFacts): string | null {
  const wanted = facts.accounts.find((a) => a.account.id === facts.selectedAccountId);
  return (wanted ?? facts.accounts.find((a) => a.hasSession) ?? facts.accounts[0])?.account.id ?? null;
}

function activeState(active: ActiveFacts, notice: Notice | null, canAddAccount: boolean): AppState {
  const { decision } = active;
  if (decision.decision === 'denied') {
    return { status: 'connection-required', notice, account: active.account, reason: decision.reason, message: deniedMessage(decision) };
  }
  const readOnlyUntil = decision.readOnlyUntil;
  const state: UnlockedState = {
    status: 'unlocked',
    notice,
    account: active.account,
    access: decision.decision,
    accessReason: decision.reason,
    accessMessage:
      decision.decision === 'read-only' ? READ_ONLY_MESSAGE : decision.reason === 'grace_period' ? GRACE_MESSAGE : FULL_MESSAGE,
    decidedAt: new Date(Math.floor(active.decidedAt.getTime() / MINUTE_MS) * MINUTE_MS).toISOString(),
    tokenExpiresAt: iso(decision.expiresAt),
    fullAccessUntil: iso(earliest(decision.fullUntil, decision.checkInDueAt)),
    readOnlyUntil: iso(readOnlyUntil),
    offlineUntil: iso(readOnlyUntil ?? decision.checkInDueAt),
    lastCheckIn: iso(active.lastCheckIn),
    checkInDueAt: iso(decision.checkInDueAt),
    roles: rolesOf(decision),
    rolesAsOf: iso(issuedAt(decision)),
    online: active.online,
    canAddAccount,
  };
  return state;
}

/** `decidedAt` is kept to the minute: the state (and a push to the window) changes at most once a minute for it. */
const MINUTE_MS = 60_000;

const FULL_MESSAGE = 'The sign-in is valid. FieldKey refreshes it whenever it can reach the sign-in service.';
const GRACE_MESSAGE =
  'The sign-in has expired, and offline work goes on with full access through the grace period. Connect to the network to renew it.';
const READ_ONLY_MESSAGE =
  'The grace period is over: notes can be read but not changed until FieldKey checks in again. Connect to the network to get full access again.';

/** Words for the common reasons; the decision's own (exact, non-secret) message for the rest. */
const DENIED_MESSAGES: Partial<Record<DecisionReason, string>> = {
  expired:
    'Offline access has ended: the sign-in expired, and its grace period and read-only period are over. Connect to the network so FieldKey can check in.',
  check_in_overdue: 'FieldKey must check in online regularly, and the check-in is overdue. Connect to the network to continue.',
  clock_rollback:
    "This laptop's clock reads earlier than a time FieldKey already saw, so offline access cannot be trusted. Correct the clock or connect to the network so FieldKey can check in.",
};

function deniedMessage(decision: OfflineDecision): string {
  return DENIED_MESSAGES[decision.reason] ?? decision.message;
}

/** The `roles` claim of the verified token: strings only, as many as a screen can show. */
export function rolesOf(decision: OfflineDecision): string[] {
  const roles = decision.claims?.roles;
  if (!Array.isArray(roles)) return [];
  return roles.filter((r): r is string => typeof r === 'string' && r.length <= 100).slice(0, 50);
}

function issuedAt(decision: OfflineDecision): Date | undefined {
  const iat = decision.claims?.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? validDate(iat * 1000) : undefined;
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

function iso(date: Date | undefined): string | null {
  return date && Number.isFinite(date.getTime()) ? date.toISOString() : null;
}
