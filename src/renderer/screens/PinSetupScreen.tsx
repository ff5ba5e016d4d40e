import { useState, type FormEvent } from 'react';
import type { PinSetupState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { Alert } from '../components/Alert';
import { Card } from '../components/Card';
import { Icon } from '../components/Icon';
import { Field } from '../components/Field';
import { NoticeBox } from '../components/NoticeBox';
import { PinInput } from '../components/PinInput';
import { useAction } from '../use-action';

export function PinSetupScreen({ state }: { state: PinSetupState }) {
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const action = useAction();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (pin.length === 0) return action.setError('Enter a PIN.');
    if (pin !== confirm) {
      setConfirm('');
      return action.setError('The two PINs do not match. Type the same PIN twice.');
    }
    void action.run(async () => {
      try {
        await unwrap(fieldkey().setPin(pin, confirm));
      } finally {
        setPin('');
        setConfirm('');
      }
    });
  };

  return (
    <Card title="Choose your PIN" icon={<Icon name="keypad" />}>
      <NoticeBox notice={state.notice} />
      <p className="lead">
        Signed in as <strong>{state.account.displayName}</strong>
        {state.account.email ? <span className="muted"> ({state.account.email})</span> : null}. The PIN unlocks FieldKey on this laptop,
        also when you are offline.
      </p>
      <div className="rules" id="pin-rules">
        <h2 className="rules-title">PIN rules</h2>
        <ul>
          <li>
            At least {state.rules.minLength} characters (digits are fine), at most {state.rules.maxLength}.
          </li>
          <li>{state.rules.text}</li>
        </ul>
      </div>
      <form className="form" onSubmit={submit} noValidate>
        <Field label="PIN">
          {(id) => (
            <PinInput
              id={id}
              autoComplete="new-password"
              autoFocus
              maxLength={state.rules.maxLength * 2}
              describedBy="pin-rules"
              value={pin}
              onChange={setPin}
            />
          )}
        </Field>
        <Field label="Confirm PIN">
          {(id) => (
            <PinInput id={id} autoComplete="new-password" maxLength={state.rules.maxLength * 2} value={confirm} onChange={setConfirm} />
          )}
        </Field>
        <Alert message={action.error} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={action.busy}>
            Set PIN
          </button>
        </div>
      </form>
    </Card>
  );
}
