/**
 * A fake fetch for the OAuth client's unit tests: routes by URL (without query) to handlers and
 * records every call. Integration tests use the real demo IdP instead.
 */
import type { FetchFn } from '../../../../src/main/core/oauth/http-client';

export interface FakeCall {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

export type FakeHandler = (call: FakeCall) => Response | Promise<Response>;

export interface FakeFetch {
  fetch: FetchFn;
  calls: FakeCall[];
  callsTo(url: string): FakeCall[];
  route(url: string, handler: FakeHandler): void;
}

export function fakeFetch(routes: Record<string, FakeHandler> = {}): FakeFetch {
  const table = new Map(Object.entries(routes));
  const calls: FakeCall[] = [];
  const fetch: FetchFn = async (input, init) => {
    const call: FakeCall = {
      url: input,
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '',
    };
    calls.push(call);
    const handler = table.get(input.split('?')[0]!);
    if (!handler) throw new TypeError(`fetch failed (no route for ${input})`);
    return handler(call);
  };
  return {
    fetch,
    calls,
    callsTo: (url) => calls.filter((c) => c.url.split('?')[0] === url),
    route: (url, handler) => table.set(url, handler),
  };
}

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}

/** A network failure as fetch reports it. */
export const networkDown: FakeHandler = () => {
  throw new TypeError('fetch failed');
};
