/*
 * FieldKey development web host: the page-side bridge (a DEVELOPMENT TOOL, never shipped in the app).
 *
 * Defines `window.fieldkey` with the same functions as the Electron preload, carried over a
 * loopback connection to the web host instead of Electron IPC: calls are POSTed as JSON, state
 * changes arrive as server-sent events read through fetch (EventSource cannot send headers). Every
 * request carries this run's secret (from the `k` query parameter of the URL the host printed) in
 * a header; the host also checks Origin and Host, and hands each call to the same dispatcher that
 * validates Electron IPC calls.
 *
 * The sign-in page opens in a new tab of this browser (the browser is the "system browser" here): a
 * blank tab is opened during the click, so pop-up blockers allow it, and pointed at the sign-in URL
 * when the host answers with one.
 */
/* global window, document, fetch, sessionStorage, history, TextDecoder, URLSearchParams, setTimeout, console */
(function () {
  'use strict';

  var SECRET_KEY = 'fieldkey-web-host-secret';
  var METHODS = /*FIELDKEY_METHODS*/ [];
  var OPENS_SIGN_IN = { signIn: true, addAccount: true, forgotPin: true };

  var params = new URLSearchParams(window.location.search);
  var secret = params.get('k') || sessionStorage.getItem(SECRET_KEY) || '';
  if (params.has('k')) {
    sessionStorage.setItem(SECRET_KEY, secret);
    params.delete('k');
    var query = params.toString();
    history.replaceState(null, '', window.location.pathname + (query ? '?' + query : '') + window.location.hash);
  }

  function headers() {
    return {
      'Content-Type': 'application/json',
      'X-FieldKey-Secret': secret,
      'X-FieldKey-Frame': window.top === window ? 'top' : 'sub',
    };
  }

  function failure(code, message) {
    return { ok: false, error: { code: code, message: message } };
  }

  function openBlankTab() {
    var tab = window.open('', '_blank');
    if (tab) {
      try {
        tab.opener = null;
        tab.document.title = 'Opening sign-in…';
      } catch {
        /* a tab of another origin: nothing to do */
      }
    }
    return tab;
  }

  async function invoke(method, args) {
    // JSON has no `undefined`: drop trailing undefined arguments (signIn() and signIn(undefined) are the same call).
    var list = Array.prototype.slice.call(args);
    while (list.length > 0 && list[list.length - 1] === undefined) list.pop();
    var tab = OPENS_SIGN_IN[method] ? openBlankTab() : null;
    var answer;
    try {
      var response = await fetch('/__fieldkey/invoke', {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ channel: 'fieldkey:' + method, args: list }),
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      answer = await response.json();
    } catch {
      if (tab) tab.close();
      return failure('web_host_unreachable', 'The FieldKey development web host is not reachable. Is `npm run web` still running?');
    }
    if (answer.open) {
      if (tab) tab.location.href = answer.open;
      else window.open(answer.open, '_blank', 'noopener');
    } else if (tab) {
      tab.close();
    }
    return answer.result;
  }

  var listeners = new Set();
  var streaming = false;

  async function stream() {
    streaming = true;
    var delay = 500;
    for (;;) {
      try {
        var response = await fetch('/__fieldkey/events', { headers: headers(), credentials: 'omit', cache: 'no-store' });
        if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
        delay = 500;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            var data = block
              .split('\n')
              .filter(function (line) {
                return line.indexOf('data: ') === 0;
              })
              .map(function (line) {
                return line.slice(6);
              })
              .join('\n');
            if (data) {
              var state = JSON.parse(data);
              listeners.forEach(function (listener) {
                try {
                  listener(state);
                } catch (e) {
                  console.error(e);
                }
              });
            }
          }
        }
      } catch {
        /* reconnect below */
      }
      await new Promise(function (resolve) {
        setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, 5000);
    }
  }

  var api = {};
  METHODS.forEach(function (method) {
    api[method] = function () {
      return invoke(method, arguments);
    };
  });
  api.onStateChanged = function (listener) {
    if (typeof listener !== 'function') throw new TypeError('onStateChanged needs a function');
    listeners.add(listener);
    if (!streaming) stream();
    return function () {
      listeners.delete(listener);
    };
  };

  Object.defineProperty(window, 'fieldkey', { value: Object.freeze(api), writable: false, configurable: false, enumerable: true });
  document.documentElement.setAttribute('data-fieldkey-web-host', 'true');
})();
