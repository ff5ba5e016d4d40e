/**
 * The one status line (the page's single `role="status"` region). While unlocked or blocked it
 * contains exactly one of "Full access", "Read-only" or "Connection required": people using
 * assistive technology and the end-to-end tests rely on these words.
 */
import type { AppState } from '../shared/app-state';

export type StatusTone = 'good' | 'warn' | 'bad' | 'neutral';

export function statusLine(state: AppState | null): { text: string; tone: StatusTone } {
  if (!state) return { text: 'Starting', tone: 'neutral' };
  switch (state.status) {
    case 'unlocked': {
      const network = state.online ? 'online' : 'offline';
      return state.access === 'full'
        ? { text: `Full access, ${network}`, tone: 'good' }
        : { text: `Read-only, ${network}`, tone: 'warn' };
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
