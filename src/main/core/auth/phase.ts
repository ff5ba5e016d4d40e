/**
 * What the auth coordinator is doing, as one value: nothing (`idle`: the lock screen or the sign-in
 * screen), a browser sign-in, a PIN set-up for a completed sign-in (`sealing` while the PIN is being
 * applied), an unlock in progress, or an unlocked account. Each phase carries only its own data, so
 * "signing in while unlocked" cannot be written down. auth-service.ts changes the phase in one place
 * (`transition`); work that started in a phase commits only while that very phase object is current
 * (`isCurrent`), which is how a lock wins over an unlock, a seal or a sign-in finishing meanwhile.
 */
import type { AccountView, SignInPurpose } from '../../../shared/app-state';
import type { SignInResult } from '../oauth/sign-in';
import type { AccountSession } from './account-session';
import type { BrowserSignIn } from './sign-in-flow';

export type Phase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'signing-in'; readonly purpose: SignInPurpose; readonly account: AccountView | null; readonly flow: BrowserSignIn }
  | { readonly kind: 'pin-setup'; readonly purpose: SignInPurpose; readonly result: SignInResult; readonly sealing: boolean }
  | { readonly kind: 'unlocking'; readonly accountId: string }
  | { readonly kind: 'unlocked'; readonly session: AccountSession };

export type PhaseOf<K extends Phase['kind']> = Extract<Phase, { kind: K }>;

export const IDLE: Phase = Object.freeze({ kind: 'idle' });

/** The account whose key is being derived right now (an unlock, or a PIN being sealed), if any. */
export function keyInProgress(phase: Phase): string | undefined {
  if (phase.kind === 'unlocking') return phase.accountId;
  if (phase.kind === 'pin-setup' && phase.sealing) return phase.result.accountId;
  return undefined;
}
