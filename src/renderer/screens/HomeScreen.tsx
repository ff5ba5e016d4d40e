import type { UnlockedState } from '../../shared/app-state';
import { fieldkey, unwrap } from '../api';
import { AddAccountButton } from '../components/AddAccountButton';
import { Alert } from '../components/Alert';
import { NoticeBox } from '../components/NoticeBox';
import { Runway } from '../components/Runway';
import { formatDateTime, formatRelative } from '../format';
import { useAction } from '../use-action';
import { useNow } from '../use-now';
import { useSyncStatus } from '../use-sync-status';
import { FieldNotesPanel } from './FieldNotesPanel';

function Fact({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>
        {value}
        {detail ? <span className="fact-detail"> {detail}</span> : null}
      </dd>
    </div>
  );
}

export function HomeScreen({ state }: { state: UnlockedState }) {
  const action = useAction();
  const now = useNow(30_000);
  const full = state.access === 'full';
  const sync = useSyncStatus(state.account.id);
  const syncer = useAction();

  return (
    <div className="home">
      <aside className="sidebar" aria-label="Access">
        <div className={full ? 'access-card access-full' : 'access-card access-read-only'}>
          <h2 className="access-title">
            {full ? (state.accessReason === 'grace_period' ? 'Full access (grace period)' : 'Full access') : 'Read-only access'}
          </h2>
          <p className="access-until">
            Offline access until <strong>{state.offlineUntil ? formatDateTime(state.offlineUntil) : 'the next check-in'}</strong>
            {state.offlineUntil ? (
              <span className="fact-detail"> ({formatRelative(state.offlineUntil, Date.parse(state.decidedAt))})</span>
            ) : null}
          </p>
          <p className="access-message">{state.accessMessage}</p>
          <Runway state={state} />
        </div>
        <NoticeBox notice={state.notice} />
        <dl className="facts">
          <Fact label="Connection" value={state.online ? 'Online' : 'Offline'} />
          <Fact
            label="Last check-in"
            value={formatDateTime(state.lastCheckIn)}
            detail={state.lastCheckIn ? `(${formatRelative(state.lastCheckIn, now)})` : undefined}
          />
          <Fact label="Next check-in due" value={formatDateTime(state.checkInDueAt)} />
        </dl>
        {state.online ? (
          <button
            type="button"
            className="button secondary"
            disabled={action.busy}
            onClick={() => void action.run(() => unwrap(fieldkey().retry()))}
          >
            Check in now
          </button>
        ) : null}
        <div className="sync" aria-label="Sync">
          {sync.status && !sync.status.configured ? (
            <p className="hint" id="sync-local-only">
              Notes are kept on this laptop only.
            </p>
          ) : null}
          {sync.status?.configured ? (
            <>
              <dl className="facts">
                <Fact
                  label="Last sync"
                  value={formatDateTime(sync.status.lastSyncAt)}
                  detail={
                    sync.status.pending > 0
                      ? `(${sync.status.pending} waiting)`
                      : sync.status.lastSyncAt
                        ? `(${formatRelative(sync.status.lastSyncAt, now)})`
                        : undefined
                  }
                />
              </dl>
              {sync.status.lastError ? (
                <p className="hint hint-warn" id="sync-error">
                  {sync.status.lastError.message}
                </p>
              ) : null}
              {state.online ? (
                <button
                  type="button"
                  className="button secondary"
                  disabled={syncer.busy}
                  onClick={() =>
                    void syncer.run(async () => {
                      sync.update(await unwrap(fieldkey().syncNow()));
                    })
                  }
                >
                  {syncer.busy ? 'Syncing…' : 'Sync now'}
                </button>
              ) : null}
              <Alert message={syncer.error} />
            </>
          ) : null}
        </div>
        <div className="roles">
          <h3 className="roles-title">Roles</h3>
          {state.roles.length > 0 ? (
            <ul className="chips">
              {state.roles.map((role) => (
                <li key={role} className="chip">
                  {role}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No roles</p>
          )}
          {state.rolesAsOf ? <p className="hint">As of {formatDateTime(state.rolesAsOf)}: roles change at the next check-in.</p> : null}
        </div>
        <Alert message={action.error} />
        <div className="sidebar-actions">
          <button
            type="button"
            className="button secondary"
            disabled={action.busy}
            onClick={() => void action.run(() => unwrap(fieldkey().lock()))}
          >
            Lock
          </button>
          <button
            type="button"
            className="button danger-outline"
            disabled={action.busy}
            onClick={() => void action.run(() => unwrap(fieldkey().signOut()))}
          >
            Sign out
          </button>
          <AddAccountButton canAddAccount={state.canAddAccount} action={action} />
        </div>
      </aside>
      <FieldNotesPanel accountId={state.account.id} access={state.access} sync={sync.status} />
    </div>
  );
}
