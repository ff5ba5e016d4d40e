/**
 * TEST-ONLY in-page double of `window.fieldkey` for renderer tests: the screens are checked against
 * scripted states and answers, with no main process behind them. It is injected by Playwright
 * (`addInitScript`) and never part of any build. End-to-end tests use the real main process
 * through the development web host instead.
 */
import type { Page } from 'playwright-core';
import type { AppState, FieldNote, SyncStatusView } from '../../../src/shared/app-state';
import type { Result } from '../../../src/shared/ipc-contract';
import { INVOKE_METHODS } from '../../../src/shared/ipc-contract';

export interface RecordedCall {
  method: string;
  args: unknown[];
}

interface FakeControls {
  calls: RecordedCall[];
  setState(state: AppState): void;
  answers: Record<string, Result<unknown>[]>;
}

declare global {
  interface Window {
    __fieldkeyTest: FakeControls;
  }
}

/**
 * Installs the double before any page script runs. `getState` answers `initial`; the note calls keep
 * a small in-page list (starting with `notes`; new and edited notes wait to sync); `getSyncStatus`
 * answers `sync` (by default: no Field API), and `syncNow` marks every waiting note synced. Other
 * calls answer `ok`. A scripted answer (`answer()`) wins over the default, once.
 */
export const LOCAL_ONLY: SyncStatusView = Object.freeze({ configured: false, lastSyncAt: null, lastError: null, pending: 0 });

export async function installFakeApi(
  page: Page,
  initial: AppState,
  notes: FieldNote[] = [],
  sync: SyncStatusView = LOCAL_ONLY,
): Promise<void> {
  await page.addInitScript(
    ({ methods, initialState, initialNotes, initialSync }) => {
      let state = initialState;
      let syncStatus = { ...initialSync };
      const store = initialNotes.map((n) => ({ ...n }));
      const summary = ({ text: _text, ...rest }: (typeof store)[number]) => rest;
      const stamp = () => new Date().toISOString();
      const listeners = new Set<(s: unknown) => void>();
      const controls = {
        calls: [] as { method: string; args: unknown[] }[],
        answers: {} as Record<string, unknown[]>,
        setState(next: unknown) {
          state = next as typeof state;
          for (const l of listeners) l(next);
        },
      };
      const api: Record<string, unknown> = {};
      for (const method of methods) {
        api[method] = async (...args: unknown[]) => {
          controls.calls.push({ method, args });
          const scripted = controls.answers[method]?.shift();
          if (scripted) return scripted;
          switch (method) {
            case 'getState':
              return { ok: true, value: state };
            case 'listNotes':
              return { ok: true, value: [...store].reverse().map(summary) };
            case 'getNote': {
              const note = store.find((n) => n.id === args[0]);
              return note
                ? { ok: true, value: note }
                : { ok: false, error: { code: 'note_not_found', message: 'This note does not exist.' } };
            }
            case 'createNote': {
              const note = {
                id: store.length + 1,
                title: String(args[0]).trim(),
                text: String(args[1]),
                createdAt: stamp(),
                updatedAt: stamp(),
                syncState: 'pending' as const,
                rejection: null as string | null,
              };
              store.push(note);
              return { ok: true, value: note };
            }
            case 'updateNote': {
              const note = store.find((n) => n.id === args[0]);
              if (!note) return { ok: false, error: { code: 'note_not_found', message: 'This note does not exist.' } };
              Object.assign(note, {
                title: String(args[1]).trim(),
                text: String(args[2]),
                updatedAt: stamp(),
                syncState: 'pending',
                rejection: null,
              });
              return { ok: true, value: note };
            }
            case 'getSyncStatus':
              return { ok: true, value: { ...syncStatus, pending: store.filter((n) => n.syncState === 'pending').length } };
            case 'syncNow':
              for (const note of store) if (note.syncState === 'pending') note.syncState = 'synced';
              syncStatus = { ...syncStatus, lastSyncAt: stamp(), lastError: null, pending: 0 };
              return { ok: true, value: syncStatus };
            default:
              return { ok: true, value: undefined };
          }
        };
      }
      api.onStateChanged = (listener: (s: unknown) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      };
      Object.defineProperty(window, 'fieldkey', { value: Object.freeze(api) });
      Object.defineProperty(window, '__fieldkeyTest', { value: controls });
    },
    { methods: [...INVOKE_METHODS], initialState: initial, initialNotes: notes, initialSync: sync },
  );
}

export function setState(page: Page, state: AppState): Promise<void> {
  return page.evaluate((s) => window.__fieldkeyTest.setState(s), state);
}

/** The next answers for `method`, in order (then the default). */
export function answer(page: Page, method: string, ...results: Result<unknown>[]): Promise<void> {
  return page.evaluate(
    ({ m, r }) => {
      (window.__fieldkeyTest.answers[m] ??= []).push(...r);
    },
    { m: method, r: results },
  );
}

export function calls(page: Page, method?: string): Promise<RecordedCall[]> {
  return page.evaluate((m) => window.__fieldkeyTest.calls.filter((c) => m === undefined || c.method === m), method);
}
