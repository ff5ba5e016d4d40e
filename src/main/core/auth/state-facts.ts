/**
 * Gathers the facts the state is derived from (state-derivation.ts): the accounts and whether each
 * has a sealed session (the database), their failed-PIN counts when the lock screen shows them (the
 * database and the keychain), the unlocked account's latest decision and last check-in, and what
 * the service holds in memory (a sign-in, a PIN set-up, the selection, a notice, the network flag).
 */
import type { AccountView, Notice, SignInPurpose } from '../../../shared/app-state';
import type { Account } from '../accounts/account-store';
import type { AttemptStatus } from '../secrets/attempt-counter';
import type { SessionVault } from '../secrets/session-vault';
import type { TimeRecords } from '../records/time-records';
import type { AccountSession } from './account-session';
import type { AccountFacts, AuthFacts, ConfigurationFacts } from './state-derivation';
import { errorCode } from './error-code';

export interface FactSources {
  configuration: ConfigurationFacts;
  vault: Pick<SessionVault, 'listAccounts' | 'attemptStatus'>;
  times: Pick<TimeRecords, 'lastCheckIn'>;
  maxAttempts: number;
  log: (line: string) => void;
}

/** What the service holds in memory right now. */
export interface MemoryFacts {
  signingIn?: { purpose: SignInPurpose; account: AccountView | null };
  pinSetup?: { account: AccountView };
  active?: AccountSession;
  online: boolean;
  selectedAccountId?: string;
  notice: Notice | null;
}

export async function collectFacts(sources: FactSources, memory: MemoryFacts): Promise<AuthFacts> {
  const active = memory.active?.decided ? memory.active : undefined;
  const lockScreen = !memory.signingIn && !memory.pinSetup && !active;
  const accounts = await Promise.all(sources.vault.listAccounts().map((a) => accountFacts(sources, a, lockScreen && a.hasSession)));
  return {
    configuration: sources.configuration,
    accounts,
    ...(memory.signingIn ? { signingIn: memory.signingIn } : {}),
    ...(memory.pinSetup ? { pinSetup: memory.pinSetup } : {}),
    ...(active?.decided
      ? {
          active: {
            account: active.account,
            decision: active.decided.decision,
            decidedAt: active.decided.readings.now,
            lastCheckIn: sources.times.lastCheckIn(active.accountId)?.at,
            online: memory.online,
          },
        }
      : {}),
    ...(memory.selectedAccountId !== undefined ? { selectedAccountId: memory.selectedAccountId } : {}),
    notice: memory.notice,
  };
}

export function accountView(account: Pick<Account, 'id' | 'displayName' | 'email'>): AccountView {
  return { id: account.id, displayName: account.displayName, email: account.email };
}

async function accountFacts(
  sources: FactSources,
  account: Account & { hasSession: boolean },
  readAttempts: boolean,
): Promise<AccountFacts> {
  let status: AttemptStatus | undefined;
  if (readAttempts) {
    try {
      status = await sources.vault.attemptStatus(account.id);
    } catch (error) {
      sources.log(`attempt count unreadable: ${errorCode(error)}`);
    }
  }
  return {
    account: accountView(account),
    hasSession: account.hasSession,
    attemptsLeft: status?.attemptsLeft ?? sources.maxAttempts,
    retryAt: status?.retryAt,
  };
}
