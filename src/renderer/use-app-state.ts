import { useEffect, useState } from 'react';
import type { AppState } from '../shared/app-state';
import { errorText, fieldkey, unwrap } from './api';

export type Loaded = { state: AppState; error: null } | { state: null; error: string | null };

/** The app state: fetched once, then every pushed change. */
export function useAppState(): Loaded {
  const [loaded, setLoaded] = useState<Loaded>({ state: null, error: null });
  useEffect(() => {
    let active = true;
    let pushed = false;
    const unsubscribe = fieldkey().onStateChanged((state) => {
      pushed = true;
      if (active) setLoaded({ state, error: null });
    });
    unwrap(fieldkey().getState()).then(
      (state) => {
        // A push that arrived while getState was in flight is newer: keep it.
        if (active && !pushed) setLoaded({ state, error: null });
      },
      (error: unknown) => {
        if (active && !pushed) setLoaded({ state: null, error: errorText(error) });
      },
    );
    return () => {
      active = false;
      unsubscribe();
    };
  }, []);
  return loaded;
}
