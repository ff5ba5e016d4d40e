import type { MisconfiguredState } from '../../shared/app-state';
import { Card } from '../components/Card';
import { Icon } from '../components/Icon';
import { NoticeBox } from '../components/NoticeBox';

export function MisconfiguredScreen({ state }: { state: MisconfiguredState }) {
  return (
    <Card title="FieldKey is not set up" icon={<Icon name="warning" />} tone="bad" wide>
      <NoticeBox notice={state.notice} />
      <p className="lead">{state.summary}</p>
      <div className="it-box">
        <h2 className="it-title">For IT: what to fix</h2>
        {state.source ? (
          <p className="hint">
            Policy: <code>{state.source}</code>
          </p>
        ) : null}
        <ul className="problems">
          {state.problems.map((problem, index) => (
            <li key={index}>
              {problem.code ? <code className="problem-code">{problem.code}</code> : null}
              {problem.field ? <code className="problem-field">{problem.field}</code> : null}
              <span>{problem.message}</span>
            </li>
          ))}
        </ul>
        <p className="hint">
          Check the policy with <code>fieldkey policy check</code> and the installation with <code>fieldkey doctor</code>, then restart
          FieldKey.
        </p>
      </div>
    </Card>
  );
}
