/**
 * The auth service while the policy is unusable (fail-closed): the state is
 * `misconfigured` with what IT must fix, every intent is refused with `misconfigured`, nothing is
 * ever unlocked. Restarting FieldKey after IT fixed the policy loads it again.
 */
import type { AppState } from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { AuthService } from './auth-service-port';

export function misconfiguredService(state: AppState): AuthService {
  const refuse = async (): Promise<never> => {
    throw new FieldKeyError('misconfigured', 'FieldKey is not set up correctly on this laptop. Contact IT.');
  };
  return {
    getState: () => state,
    subscribe: () => () => undefined,
    beginSignIn: refuse,
    cancelSignIn: refuse,
    setPin: refuse,
    unlock: refuse,
    lock: () => undefined,
    wake: () => undefined,
    signOut: refuse,
    switchAccount: refuse,
    retry: refuse,
    activeAccountId: () => undefined,
    accessFor: async () => 'locked',
    idleLockMinutes: () => undefined,
    apiCredentials: () => undefined,
    onCheckIn: () => () => undefined,
    dispose: async () => undefined,
  };
}
