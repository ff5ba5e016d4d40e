import type { SigningInState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { Alert } from '../components/Alert';
import { Card } from '../components/Card';
import { NoticeBox } from '../components/NoticeBox';
import { Spinner } from '../components/Spinner';
import { useAction } from '../use-action';

const PURPOSE_TEXT: Record<SigningInState['purpose'], string> = {
  'sign-in': 'Sign in with your company account',
  'add-account': 'Sign in with the other account',
  'forgot-pin': 'Sign in to choose a new PIN',
  reconnect: 'Sign in again to continue',
};

export function SigningInScreen({ state }: { state: SigningInState }) {
  const action = useAction();
  return (
    <Card title="Continue in your browser" icon={<Spinner />}>
      <NoticeBox notice={state.notice} />
      <p className="lead">
        {PURPOSE_TEXT[state.purpose]}
        {state.account ? ` (${state.account.displayName})` : ''} on the page that opened in your web browser. FieldKey continues by itself
        when you are done.
      </p>
      <p className="hint">No page opened? Check your browser&apos;s other windows, or cancel and try again.</p>
      <Alert message={action.error} />
      <div className="actions">
        <button
          type="button"
          className="button secondary"
          autoFocus
          disabled={action.busy}
          onClick={() => void action.run(() => unwrap(fieldkey().cancelSignIn()))}
        >
          Cancel
        </button>
      </div>
    </Card>
  );
}
