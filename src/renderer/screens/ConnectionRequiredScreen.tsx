import type { ConnectionRequiredState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { Alert } from '../components/Alert';
import { Card } from '../components/Card';
import { Icon } from '../components/Icon';
import { NoticeBox } from '../components/NoticeBox';
import { useAction } from '../use-action';

export function ConnectionRequiredScreen({ state }: { state: ConnectionRequiredState }) {
  const action = useAction();
  return (
    <Card title="Connection required" icon={<Icon name="offline" />} tone="bad">
      {state.account ? (
        <p className="muted center">
          {state.account.displayName}
          {state.account.email ? ` · ${state.account.email}` : ''}
        </p>
      ) : null}
      <NoticeBox notice={state.notice} />
      <p className="lead">{state.message}</p>
      <p className="hint">
        Connect this laptop to the network (Wi-Fi, cable or phone hotspot), then choose Retry. Your field notes are kept. Reason code:{' '}
        <code>{state.reason}</code>
      </p>
      <Alert message={action.error} />
      <div className="actions">
        <button
          type="button"
          className="button primary"
          autoFocus
          disabled={action.busy}
          onClick={() => void action.run(() => unwrap(fieldkey().retry()))}
        >
          Retry
        </button>
        {state.account ? (
          <button
            type="button"
            className="button secondary"
            disabled={action.busy}
            onClick={() => void action.run(() => unwrap(fieldkey().lock()))}
          >
            Lock
          </button>
        ) : null}
      </div>
    </Card>
  );
}
