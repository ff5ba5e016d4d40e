import { fieldkey, unwrap } from '../api';
import type { Action } from '../use-action';

/** "Add account" (a link-style button) through the screen's action; nothing when the policy allows no more accounts. */
export function AddAccountButton({ canAddAccount, action }: { canAddAccount: boolean; action: Action }) {
  if (!canAddAccount) return null;
  return (
    <button type="button" className="link" disabled={action.busy} onClick={() => void action.run(() => unwrap(fieldkey().addAccount()))}>
      Add account
    </button>
  );
}
