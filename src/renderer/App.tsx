import type { AppState } from '../shared/app-state';
import { Alert } from './components/Alert';
import { Brand } from './components/Brand';
import { Spinner } from './components/Spinner';
import { ConnectionRequiredScreen } from './screens/ConnectionRequiredScreen';
import { HomeScreen } from './screens/HomeScreen';
import { MisconfiguredScreen } from './screens/MisconfiguredScreen';
import { PinSetupScreen } from './screens/PinSetupScreen';
import { SignedOutScreen } from './screens/SignedOutScreen';
import { SigningInScreen } from './screens/SigningInScreen';
import { UnlockScreen } from './screens/UnlockScreen';
import { statusLine } from './status-text';
import { useAppState } from './use-app-state';

function Screen({ state }: { state: AppState }) {
  switch (state.status) {
    case 'signed-out':
      return <SignedOutScreen state={state} />;
    case 'signing-in':
      return <SigningInScreen state={state} />;
    case 'pin-setup':
      return <PinSetupScreen state={state} />;
    case 'locked':
      return <UnlockScreen state={state} />;
    case 'unlocked':
      return <HomeScreen state={state} />;
    case 'connection-required':
      return <ConnectionRequiredScreen state={state} />;
    case 'misconfigured':
      return <MisconfiguredScreen state={state} />;
  }
}

/** A key that changes when a different screen (or account) shows, so each screen starts fresh. */
function screenKey(state: AppState): string {
  if (state.status === 'unlocked' || state.status === 'pin-setup') return `${state.status}:${state.account.id}`;
  return state.status;
}

export function App() {
  const loaded = useAppState();
  const status = statusLine(loaded.state);
  const account = loaded.state?.status === 'unlocked' ? loaded.state.account : null;
  return (
    <div className="app">
      <header className="topbar">
        <Brand />
        <div className="topbar-right">
          {account ? (
            <span className="account-chip">
              <span className="account-chip-name">{account.displayName}</span>
              {account.email ? <span className="account-chip-email">{account.email}</span> : null}
            </span>
          ) : null}
          <div role="status" className={`status status-${status.tone}`}>
            <span className="status-dot" aria-hidden="true" />
            {status.text}
          </div>
        </div>
      </header>
      <main className="content">
        {loaded.state ? (
          <Screen key={screenKey(loaded.state)} state={loaded.state} />
        ) : loaded.error ? (
          <section className="card">
            <Alert message={loaded.error} />
          </section>
        ) : (
          <div className="loading">
            <Spinner />
          </div>
        )}
      </main>
    </div>
  );
}
