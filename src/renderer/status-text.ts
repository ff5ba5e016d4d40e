/**
 * The one status line (the page's single `role="status"` region). While unlocked or blocked it
 * contains exactly one of "Full access", "Read-only" or "Connection required", and until when the
 * tier holds: people using assistive technology and the end-to-end tests rely on these words.
 */
import type { AppState } from '../shared/app-state';
import { formatDateTime } from './format';

export type StatusTone = 'good' | 'warn' | 'bad' | 'neutral';

export function statusLine(state: AppState | null): { text: string; tone: StatusTone } {
  if (!state) return { text: 'Starting', tone: 'neutral' };
  switch (state.status) {
    case 'unlocked': {
      const network = state.online ? 'online' : 'offline';
      if (state.access === 'full') {
        const tier = state.accessReason === 'grace_period' ? 'Full access (grace period)' : 'Full access';
        return {
          text: `${tier} until ${formatDateTime(state.fullAccessUntil)}, ${network}`,
          tone: state.accessReason === 'grace_period' ? 'warn' : 'good',
        };
      }
      const until = state.readOnlyUntil ? formatDateTime(state.readOnlyUntil) : 'the next check-in';
      return { text: `Read-only until ${until}, ${network}`, tone: 'warn' };
    }
    case 'connection-required':
      return { text: 'Connection required', tone: 'bad' };
    case 'locked':
      return { text: 'Locked', tone: 'neutral' };
    case 'signed-out':
      return { text: 'Signed out', tone: 'neutral' };
    case 'signing-in':
      return { text: 'Signing in', tone: 'neutral' };
    case 'pin-setup':
      return { text: 'Choose a PIN', tone: 'neutral' };
    case 'misconfigured':
      return { text: 'Not set up: contact IT', tone: 'bad' };
  }
}
