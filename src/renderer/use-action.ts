import { useCallback, useRef, useState } from 'react';
import { errorText, RendererError } from './api';

export interface Action {
  /** Runs `task` unless one is running; its refusal becomes `error` (shown as an alert). */
  run: <T>(task: () => Promise<T>) => Promise<T | undefined>;
  busy: boolean;
  error: string | null;
  errorCode: string | null;
  setError: (message: string | null) => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setErrorState] = useState<{ message: string; code: string | null } | null>(null);
  const running = useRef(false);
  const run = useCallback(async <T>(task: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setErrorState(null);
    try {
      return await task();
    } catch (caught) {
      setErrorState({ message: errorText(caught), code: caught instanceof RendererError ? caught.code : null });
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  const setError = useCallback((message: string | null) => setErrorState(message === null ? null : { message, code: null }), []);
  return { run, busy, error: error?.message ?? null, errorCode: error?.code ?? null, setError };
}
