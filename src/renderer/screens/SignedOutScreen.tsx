import type { SignedOutState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { Alert } from '../components/Alert';
import { Card } from '../components/Card';
import { Icon } from '../components/Icon';
import { NoticeBox } from '../components/NoticeBox';
import { useAction } from '../use-action';

export function SignedOutScreen({ state }: { state: SignedOutState }) {
  const action = useAction();
  return (
    <Card title="Sign in to FieldKey" icon={<Icon name="key" />}>
      <NoticeBox notice={state.notice} />
      <p className="lead">
        Sign in once with your company account in your web browser. After that, a PIN unlocks FieldKey on this laptop, even without a
        connection.
      </p>
      <Alert message={action.error} />
      <div className="actions">
        <button
          type="button"
          className="button primary"
          autoFocus
          disabled={action.busy}
          onClick={() => void action.run(() => unwrap(fieldkey().signIn()))}
        >
          Sign in
        </button>
      </div>
    </Card>
  );
}
