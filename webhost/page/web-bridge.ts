/**
 * FieldKey development web host: the page-side bridge (a DEVELOPMENT TOOL, never shipped in the app).
 *
 * Defines `window.fieldkey` with the same factory as the Electron preload
 * (src/shared/fieldkey-bridge.ts), over a loopback connection to the web host instead of Electron
 * IPC: calls are POSTed as JSON, state changes arrive as server-sent events read through fetch
 * (EventSource cannot send headers). Every request carries this run's secret (from the `k` query
 * parameter of the URL the host printed) in a header; the host also checks Origin and Host, and
 * hands each call to the same dispatcher that validates Electron IPC calls.
 *
 * The sign-in page opens in a new tab of this browser (the browser is the "system browser" here): a
 * blank tab is opened during the click, so pop-up blockers allow it, and pointed at the sign-in URL
 * when the host answers with one. The web host bundles this file for the page at start-up.
 */
import type { AppState } from '../../src/shared/app-state';
import { createFieldKeyApi } from '../../src/shared/fieldkey-bridge';
import { channelFor, type InvokeMethod } from '../../src/shared/ipc-contract';

const SECRET_KEY = 'fieldkey-web-host-secret';
const OPENS_SIGN_IN: ReadonlySet<InvokeMethod> = new Set(['signIn', 'addAccount', 'forgotPin']);

function takeSecret(): string {
  const params = new URLSearchParams(window.location.search);
  const secret = params.get('k') ?? sessionStorage.getItem(SECRET_KEY) ?? '';
  if (params.has('k')) {
    sessionStorage.setItem(SECRET_KEY, secret);
    params.delete('k');
    const query = params.toString();
    history.replaceState(null, '', window.location.pathname + (query ? `?${query}` : '') + window.location.hash);
  }
  return secret;
}

const secret = takeSecret();

function headers(): Record<string, string> {
  return { 'Content-Type': 'application/json', 'X-FieldKey-Secret': secret, 'X-FieldKey-Frame': window.top === window ? 'top' : 'sub' };
}

function openBlankTab(): Window | null {
  const tab = window.open('', '_blank');
  if (tab) {
    try {
      tab.opener = null;
      tab.document.title = 'Opening sign-in…';
    } catch {
      // a tab of another origin: nothing to do
    }
  }
  return tab;
}

async function invoke(method: InvokeMethod, args: unknown[]): Promise<unknown> {
  // JSON has no `undefined`: drop trailing undefined arguments (signIn() and signIn(undefined) are the same call).
  const list = [...args];
  while (list.length > 0 && list[list.length - 1] === undefined) list.pop();
  const tab = OPENS_SIGN_IN.has(method) ? openBlankTab() : null;
  let answer: { result: unknown; open?: string };
  try {
    const response = await fetch('/__fieldkey/invoke', {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ channel: channelFor(method), args: list }),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    answer = (await response.json()) as typeof answer;
  } catch {
    tab?.close();
    return {
      ok: false,
      error: {
        code: 'web_host_unreachable',
        message: 'The FieldKey development web host is not reachable. Is `npm run web` still running?',
      },
    };
  }
  if (answer.open) {
    if (tab) tab.location.href = answer.open;
    else window.open(answer.open, '_blank', 'noopener');
  } else {
    tab?.close();
  }
  return answer.result;
}

const listeners = new Set<(state: AppState) => void>();
let streaming = false;

/** The data lines of each complete server-sent event in `buffer`, and what is left of it. */
export function takeEvents(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let rest = buffer;
  let end: number;
  while ((end = rest.indexOf('\n\n')) >= 0) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('\n');
    if (data) events.push(data);
  }
  return { events, rest };
}

async function stream(): Promise<void> {
  streaming = true;
  let delay = 500;
  for (;;) {
    try {
      const response = await fetch('/__fieldkey/events', { headers: headers(), credentials: 'omit', cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      delay = 500;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        const taken = takeEvents(buffer + decoder.decode(chunk.value, { stream: true }));
        buffer = taken.rest;
        for (const data of taken.events) {
          const state = JSON.parse(data) as AppState;
          for (const listener of listeners) {
            try {
              listener(state);
            } catch (error) {
              console.error(error);
            }
          }
        }
      }
    } catch {
      // reconnect below
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

const api = createFieldKeyApi({
  invoke,
  subscribe: (listener) => {
    listeners.add(listener);
    if (!streaming) void stream();
    return () => {
      listeners.delete(listener);
    };
  },
});

Object.defineProperty(window, 'fieldkey', { value: api, writable: false, configurable: false, enumerable: true });
document.documentElement.setAttribute('data-fieldkey-web-host', 'true');
