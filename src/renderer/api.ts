/**
 * The renderer's only way to the main process: `window.fieldkey` (preload in Electron, web bridge in
 * the development web host). Results are data; `RendererError` carries a refusal's code and message.
 */
import type { ErrorData } from '../shared/errors';
import type { FieldKeyApi, Result } from '../shared/ipc-contract';

export function fieldkey(): FieldKeyApi {
  return window.fieldkey;
}

export class RendererError extends Error {
  readonly code: string;
  constructor(error: ErrorData) {
    super(error.message);
    this.code = error.code;
  }
}

/** The value of a result, or a thrown `RendererError` with the main process's code and message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new RendererError({ code: 'ipc_failed', message: 'FieldKey could not reach its background service. Restart FieldKey.' });
  }
  if (!result.ok) throw new RendererError(result.error);
  return result.value;
}

export function errorText(error: unknown): string {
  return error instanceof RendererError ? error.message : 'Something went wrong. Try again.';
}
