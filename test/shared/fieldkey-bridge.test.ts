/** The one factory behind `window.fieldkey`: the contract's functions over any transport, frozen, state only to listeners. */
import { describe, expect, it, vi } from 'vitest';
import { createFieldKeyApi } from '../../src/shared/fieldkey-bridge';
import { INVOKE_METHODS } from '../../src/shared/ipc-contract';

describe('createFieldKeyApi', () => {
  it('has exactly the contract functions, each a call of its method with its arguments', async () => {
    const invoke = vi.fn(async () => ({ ok: true, value: 1 }));
    const api = createFieldKeyApi({ invoke, subscribe: () => () => undefined });
    expect(Object.keys(api).sort()).toEqual([...INVOKE_METHODS, 'onStateChanged'].sort());
    expect(Object.isFrozen(api)).toBe(true);
    await expect(api.unlock('acct', '482915')).resolves.toEqual({ ok: true, value: 1 });
    expect(invoke).toHaveBeenCalledWith('unlock', ['acct', '482915']);
  });

  it('hands listeners the state only and refuses a non-function', () => {
    let deliver: ((state: never) => void) | undefined;
    const api = createFieldKeyApi({ invoke: async () => undefined, subscribe: (l) => ((deliver = l as never), () => undefined) });
    const listener = vi.fn();
    api.onStateChanged(listener);
    deliver!({ status: 'signed-out', notice: null } as never);
    expect(listener.mock.calls).toEqual([[{ status: 'signed-out', notice: null }]]);
    expect(() => api.onStateChanged('nope' as never)).toThrow(TypeError);
  });
});
