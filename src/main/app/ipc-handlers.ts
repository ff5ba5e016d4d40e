/**
 * The main side of the IPC contract, free of Electron so it runs and is tested under Node. The shell
 * (Electron `ipcMain.handle`) and the development web host both hand every call to `handle`, which:
 *  1. refuses channels outside the contract (`unknown_channel`);
 *  2. refuses senders that are not the app's own main frame (`forbidden_sender`);
 *  3. validates the arguments (`invalid_argument`);
 *  4. calls the handler and returns its outcome as data: a thrown `FieldKeyError` becomes
 *     `{ ok: false, error: { code, message } }`; anything else becomes `internal_error` with a
 *     generic message (its details stay in the main process).
 * It never throws.
 */
import { FieldKeyError, toErrorData, type ErrorCode } from '../../shared/errors';
import { methodForChannel, type InvokeMethod, type MainHandlers, type Result } from '../../shared/ipc-contract';
import { validateArguments } from './ipc-arguments';
import { isTrustedSender, type SenderInfo } from './ipc-sender';

export interface IpcDispatcherOptions {
  handlers: MainHandlers;
  /** Origins whose main frame may call: `[APP_ORIGIN]` in the app, the web host's own origin there. */
  allowedOrigins: readonly string[];
  /** Told about unexpected (non-FieldKeyError) failures, e.g. to log them in the main process. */
  onUnexpectedError?: (method: InvokeMethod, error: unknown) => void;
}

export interface IpcDispatcher {
  handle(channel: string, sender: SenderInfo, args: readonly unknown[]): Promise<Result<unknown>>;
}

function failure(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

export function createIpcDispatcher(options: IpcDispatcherOptions): IpcDispatcher {
  const allowedOrigins = [...options.allowedOrigins];
  return {
    async handle(channel, sender, args) {
      const method = methodForChannel(channel);
      if (!method) return failure('unknown_channel', 'FieldKey does not know this request.');
      if (!isTrustedSender(sender, allowedOrigins))
        return failure('forbidden_sender', 'This request did not come from the FieldKey window.');
      try {
        if (!Array.isArray(args)) throw new FieldKeyError('invalid_argument', 'The arguments must be a list.');
        const valid = validateArguments(method, args);
        const handler = options.handlers[method] as (...a: unknown[]) => Promise<unknown>;
        const value = await handler(...valid);
        return { ok: true, value };
      } catch (error) {
        if (!(error instanceof FieldKeyError)) options.onUnexpectedError?.(method, error);
        return { ok: false, error: toErrorData(error) };
      }
    },
  };
}
