import { describe, expect, it, vi } from 'vitest';
import { FieldKeyError } from '../../../src/shared/errors';
import { INVOKE_METHODS, channelFor, methodForChannel, type MainHandlers } from '../../../src/shared/ipc-contract';
import { NOTE_TEXT_MAX_CHARS, NOTE_TITLE_MAX_CHARS, type AppState } from '../../../src/shared/app-state';
import { validateArguments } from '../../../src/main/app/ipc-arguments';
import { createIpcDispatcher } from '../../../src/main/app/ipc-handlers';
import { APP_ORIGIN, isTrustedSender, originOf, type SenderInfo } from '../../../src/main/app/ipc-sender';
import { accountIdFor } from '../../../src/main/core/accounts/account-id';

const ACCOUNT = accountIdFor('https://idp.example', 'user-1');
const APP: SenderInfo = { url: 'app://fieldkey/index.html', mainFrame: true };
const STATE: AppState = { status: 'signed-out', notice: null };

/** Records every call; each handler returns its method name unless replaced. */
function recordingHandlers(overrides: Partial<MainHandlers> = {}): { handlers: MainHandlers; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const handlers = Object.fromEntries(
    INVOKE_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        calls.push([m, args]);
        const override = overrides[m] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        return override ? override(...args) : m === 'getState' ? STATE : m;
      },
    ]),
  ) as unknown as MainHandlers;
  return { handlers, calls };
}

describe('contract channels', () => {
  it('maps every method to fieldkey:<method> and back; anything else is unknown', () => {
    for (const m of INVOKE_METHODS) expect(methodForChannel(channelFor(m))).toBe(m);
    for (const c of [
      'fieldkey:onStateChanged',
      'fieldkey:state-changed',
      'getState',
      'fieldkey:',
      'fieldkey:constructor',
      'fieldkey:__proto__',
      'fieldkey:toString',
      42,
      null,
    ]) {
      expect(methodForChannel(c)).toBeUndefined();
    }
  });
});

describe('sender checks', () => {
  it.each([
    ['app main frame', { url: 'app://fieldkey/index.html', mainFrame: true }, true],
    ['app main frame, other path', { url: 'app://fieldkey/notes?x=1#y', mainFrame: true }, true],
    ['upper-case host', { url: 'APP://FIELDKEY/index.html', mainFrame: true }, true],
    ['sub-frame of the app', { url: 'app://fieldkey/index.html', mainFrame: false }, false],
    ['other app host', { url: 'app://evil/index.html', mainFrame: true }, false],
    ['host with suffix', { url: 'app://fieldkey.evil/index.html', mainFrame: true }, false],
    ['credentials in URL', { url: 'app://user@fieldkey/index.html', mainFrame: true }, false],
    ['file URL', { url: 'file:///index.html', mainFrame: true }, false],
    ['web page', { url: 'https://fieldkey/index.html', mainFrame: true }, false],
    ['IdP page', { url: 'http://127.0.0.1:9011/interaction/x', mainFrame: true }, false],
    ['about:blank', { url: 'about:blank', mainFrame: true }, false],
    ['data URL', { url: 'data:text/html,hi', mainFrame: true }, false],
    ['no URL', { url: undefined, mainFrame: true }, false],
    ['empty URL', { url: '', mainFrame: true }, false],
    ['garbage', { url: 'not a url', mainFrame: true }, false],
  ] as [string, SenderInfo, boolean][])('%s -> %s', (_name, sender, trusted) => {
    expect(isTrustedSender(sender, [APP_ORIGIN])).toBe(trusted);
  });

  it('accepts the web host origin only with its exact port', () => {
    const origins = ['http://127.0.0.1:5123'];
    expect(isTrustedSender({ url: 'http://127.0.0.1:5123/?k=x', mainFrame: true }, origins)).toBe(true);
    expect(isTrustedSender({ url: 'http://127.0.0.1:5124/', mainFrame: true }, origins)).toBe(false);
    expect(isTrustedSender({ url: 'http://localhost:5123/', mainFrame: true }, origins)).toBe(false);
    expect(isTrustedSender({ url: 'https://127.0.0.1:5123/', mainFrame: true }, origins)).toBe(false);
  });

  it('originOf keeps scheme, host and port', () => {
    expect(originOf('app://fieldkey/a/b')).toBe('app://fieldkey');
    expect(originOf('http://127.0.0.1:80/')).toBe('http://127.0.0.1');
    expect(originOf('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(originOf('app:///index.html')).toBeUndefined();
  });
});

describe('argument validation', () => {
  const pin = '482915';
  const ok: [string, unknown[]][] = [
    ['getState', []],
    ['signIn', []],
    ['signIn', [ACCOUNT]],
    ['signIn', [undefined]],
    ['cancelSignIn', []],
    ['setPin', [pin, pin]],
    ['setPin', ['x'.repeat(64), 'y']],
    ['setPin', ['😀'.repeat(64), '😀']],
    ['unlock', [ACCOUNT, pin]],
    ['lock', []],
    ['signOut', []],
    ['switchAccount', [ACCOUNT]],
    ['addAccount', []],
    ['forgotPin', [ACCOUNT]],
    ['retry', []],
    ['listNotes', []],
    ['getNote', [1]],
    ['createNote', ['Pump 4', 'Seal replaced.\n\tTorque 30 Nm']],
    ['createNote', ['t'.repeat(NOTE_TITLE_MAX_CHARS), 'x'.repeat(NOTE_TEXT_MAX_CHARS)]],
    ['createNote', ['', '']],
    ['updateNote', [Number.MAX_SAFE_INTEGER, 'T', '']],
    ['getSyncStatus', []],
    ['syncNow', []],
  ];
  it.each(ok)('accepts %s(%j)', (method, args) => {
    expect(() => validateArguments(method as never, args)).not.toThrow();
  });

  it('returns a signIn with no account as no argument', () => {
    expect(validateArguments('signIn', [undefined])).toEqual([]);
  });

  const bad: [string, unknown[]][] = [
    ['getState', [1]],
    ['lock', [ACCOUNT]],
    ['syncNow', [ACCOUNT]],
    ['getSyncStatus', [true]],
    ['signIn', ['not-an-account']],
    ['signIn', [ACCOUNT, ACCOUNT]],
    ['signIn', [null]],
    ['setPin', [pin]],
    ['setPin', [pin, pin, pin]],
    ['setPin', [123456, '123456']],
    ['setPin', ['', '']],
    ['setPin', ['1'.repeat(65), pin]],
    ['setPin', ['😀'.repeat(65), pin]],
    ['setPin', ['12\u00003456', pin]],
    ['setPin', ['123456\n', pin]],
    ['setPin', [pin, { toString: () => pin }]],
    ['unlock', [pin, ACCOUNT]],
    ['unlock', [ACCOUNT.slice(1), pin]],
    ['unlock', [ACCOUNT + 'A', pin]],
    ['unlock', [ACCOUNT, ['1', '2']]],
    ['unlock', [ACCOUNT]],
    ['switchAccount', [{ id: ACCOUNT }]],
    ['forgotPin', []],
    ['getNote', ['1']],
    ['getNote', [0]],
    ['getNote', [-1]],
    ['getNote', [1.5]],
    ['getNote', [Number.NaN]],
    ['getNote', [2 ** 60]],
    ['createNote', ['t'.repeat(NOTE_TITLE_MAX_CHARS + 1), '']],
    ['createNote', ['T', 'x'.repeat(NOTE_TEXT_MAX_CHARS + 1)]],
    ['createNote', ['T\u0007', '']],
    ['createNote', ['T', 'bell\u0007']],
    ['createNote', ['T']],
    ['createNote', [1, 'x']],
    ['updateNote', ['1', 'T', '']],
    ['updateNote', [1, 'T']],
  ];
  it.each(bad)('refuses %s(%j) with invalid_argument', (method, args) => {
    let thrown: unknown;
    try {
      validateArguments(method as never, args);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FieldKeyError);
    expect((thrown as FieldKeyError).code).toBe('invalid_argument');
  });

  it('never echoes a refused value in the message', () => {
    const secretish = '9'.repeat(70);
    try {
      validateArguments('unlock', [ACCOUNT, secretish]);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('999999');
    }
  });
});

describe('dispatcher', () => {
  it('calls the handler with validated arguments and wraps the value', async () => {
    const { handlers, calls } = recordingHandlers();
    const dispatcher = createIpcDispatcher({ handlers, allowedOrigins: [APP_ORIGIN] });
    expect(await dispatcher.handle('fieldkey:getState', APP, [])).toEqual({ ok: true, value: STATE });
    expect(await dispatcher.handle('fieldkey:unlock', APP, [ACCOUNT, '482915'])).toEqual({ ok: true, value: 'unlock' });
    expect(calls).toEqual([
      ['getState', []],
      ['unlock', [ACCOUNT, '482915']],
    ]);
  });

  it.each([
    ['unknown channel', 'fieldkey:deleteEverything', APP, [], 'unknown_channel'],
    ['the push channel', 'fieldkey:state-changed', APP, [], 'unknown_channel'],
    ['foreign origin', 'fieldkey:getState', { url: 'https://evil.example/', mainFrame: true }, [], 'forbidden_sender'],
    ['sub-frame', 'fieldkey:getState', { url: APP.url, mainFrame: false }, [], 'forbidden_sender'],
    ['bad arguments', 'fieldkey:unlock', APP, [ACCOUNT], 'invalid_argument'],
    ['arguments not a list', 'fieldkey:getState', APP, 'x' as unknown as unknown[], 'invalid_argument'],
  ] as [string, string, SenderInfo, unknown[], string][])(
    'refuses %s without calling any handler',
    async (_n, channel, sender, args, code) => {
      const { handlers, calls } = recordingHandlers();
      const dispatcher = createIpcDispatcher({ handlers, allowedOrigins: [APP_ORIGIN] });
      const result = await dispatcher.handle(channel, sender, args);
      expect(result).toMatchObject({ ok: false, error: { code } });
      expect(calls).toEqual([]);
    },
  );

  it('returns a FieldKeyError as data with its code and message', async () => {
    const { handlers } = recordingHandlers({
      unlock: async () => {
        throw new FieldKeyError('wrong_pin', 'Wrong PIN. 4 attempts left.');
      },
    });
    const dispatcher = createIpcDispatcher({ handlers, allowedOrigins: [APP_ORIGIN] });
    expect(await dispatcher.handle('fieldkey:unlock', APP, [ACCOUNT, '000001'])).toEqual({
      ok: false,
      error: { code: 'wrong_pin', message: 'Wrong PIN. 4 attempts left.' },
    });
  });

  it('hides other errors behind internal_error and reports them to the main process', async () => {
    const onUnexpectedError = vi.fn();
    const { handlers } = recordingHandlers({
      retry: async () => {
        throw new TypeError('refresh_token=abc leaked in a message');
      },
    });
    const dispatcher = createIpcDispatcher({ handlers, allowedOrigins: [APP_ORIGIN], onUnexpectedError });
    const result = await dispatcher.handle('fieldkey:retry', APP, []);
    expect(result).toEqual({ ok: false, error: { code: 'internal_error', message: 'An unexpected error occurred.' } });
    expect(JSON.stringify(result)).not.toContain('refresh_token');
    expect(onUnexpectedError).toHaveBeenCalledWith('retry', expect.any(TypeError));
  });
});
