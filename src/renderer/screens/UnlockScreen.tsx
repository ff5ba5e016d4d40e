import { useEffect, useState, type FormEvent } from 'react';
import type { LockedAccountView, LockedState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { AddAccountButton } from '../components/AddAccountButton';
import { Alert } from '../components/Alert';
import { Field } from '../components/Field';
import { NoticeBox } from '../components/NoticeBox';
import { PinInput } from '../components/PinInput';
import { attemptsText, formatWait } from '../format';
import { useAction } from '../use-action';
import { useNow } from '../use-now';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}

function AccountPicker({
  accounts,
  selected,
  onSelect,
}: {
  accounts: LockedAccountView[];
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  if (accounts.length < 2) return null;
  return (
    <fieldset className="picker">
      <legend className="picker-legend">Account</legend>
      {accounts.map((account) => (
        <label key={account.id} className={account.id === selected ? 'picker-option selected' : 'picker-option'}>
          <input type="radio" name="account" value={account.id} checked={account.id === selected} onChange={() => onSelect(account.id)} />
          <span className="avatar" aria-hidden="true">
            {initials(account.displayName)}
          </span>
          <span className="picker-text">
            <span className="picker-name">{account.displayName}</span>
            {account.email ? <span className="picker-email">{account.email}</span> : null}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

export function UnlockScreen({ state }: { state: LockedState }) {
  const [selectedId, setSelectedId] = useState<string | undefined>(state.selectedAccountId ?? state.accounts[0]?.id);
  const [pin, setPin] = useState('');
  const action = useAction();
  const now = useNow(1000);

  // The main process may select an account (switch account, after a sign-in): follow it.
  useEffect(() => {
    if (state.selectedAccountId) setSelectedId(state.selectedAccountId);
  }, [state.selectedAccountId]);

  const account = state.accounts.find((a) => a.id === selectedId) ?? state.accounts[0];
  const select = (id: string): void => {
    setSelectedId(id);
    setPin('');
    action.setError(null);
  };

  if (!account) return null;
  const waitMs = account.retryAt ? Date.parse(account.retryAt) - now : 0;
  const waiting = account.hasSession && waitMs > 0;

  // Refusals the lock screen can say better from the state (which the main process keeps current).
  const alert =
    action.errorCode === 'wrong_pin'
      ? `Wrong PIN. ${attemptsText(account.attemptsLeft)}.`
      : action.errorCode === 'unlock_delayed' && waiting
        ? `Too many wrong PINs. Wait ${formatWait(waitMs)} before the next try.`
        : action.error;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (waiting) return;
    if (pin.length === 0) return action.setError('Enter your PIN.');
    void action.run(async () => {
      try {
        await unwrap(fieldkey().unlock(account.id, pin));
      } finally {
        setPin('');
      }
    });
  };

  return (
    <section className="card" aria-labelledby="unlock-title">
      <div className="avatar avatar-large" aria-hidden="true">
        {initials(account.displayName)}
      </div>
      <h1 id="unlock-title" className="card-title">
        {account.hasSession ? `Unlock ${account.displayName}` : `Sign in again, ${account.displayName}`}
      </h1>
      {account.email ? <p className="muted center">{account.email}</p> : null}
      <NoticeBox notice={state.notice} />
      <AccountPicker accounts={state.accounts} selected={account.id} onSelect={select} />

      {account.hasSession ? (
        <form className="form" onSubmit={submit} noValidate>
          <Field label="PIN">
            {(id) => (
              <PinInput
                key={account.id}
                id={id}
                autoComplete="current-password"
                autoFocus
                describedBy="attempts"
                value={pin}
                onChange={setPin}
              />
            )}
          </Field>
          <p id="attempts" className={account.attemptsLeft <= 2 ? 'hint hint-warn' : 'hint'}>
            {waiting ? `Too many wrong PINs. Wait ${formatWait(waitMs)} before the next try. ` : ''}
            {attemptsText(account.attemptsLeft)} before this laptop forgets the session and you must sign in online.
          </p>
          <Alert message={alert} />
          <div className="actions">
            <button type="submit" className="button primary" disabled={action.busy || waiting}>
              Unlock
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="lead">
            This laptop no longer holds a session for this account (too many wrong PINs, a forgotten PIN or a revoked sign-in). Your field
            notes are kept.
          </p>
          <Alert message={action.error} />
          <div className="actions">
            <button
              type="button"
              className="button primary"
              autoFocus
              disabled={action.busy}
              onClick={() => void action.run(() => unwrap(fieldkey().signIn(account.id)))}
            >
              Sign in
            </button>
          </div>
        </>
      )}

      <div className="links">
        {account.hasSession ? (
          <button
            type="button"
            className="link"
            disabled={action.busy}
            onClick={() => void action.run(() => unwrap(fieldkey().forgotPin(account.id)))}
          >
            Forgot PIN?
          </button>
        ) : null}
        <AddAccountButton canAddAccount={state.canAddAccount} action={action} />
      </div>
    </section>
  );
}
