/**
 * The preload with Electron's API stubbed: it exposes `window.fieldkey` with exactly the contract's
 * named functions (never `ipcRenderer`), each a call on its own contract channel, and a state
 * subscription that hands listeners the state only and returns an unsubscribe function.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { INVOKE_METHODS, STATE_CHANGED_CHANNEL, channelFor, type FieldKeyApi } from '../../src/shared/ipc-contract';

const ipcRenderer = Object.assign(new EventEmitter(), { invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'x' })) });
const exposeInMainWorld = vi.fn();
vi.mock('electron', () => ({ contextBridge: { exposeInMainWorld }, ipcRenderer }));

await import('../../src/preload/index');
const [name, api] = exposeInMainWorld.mock.calls[0] as [string, FieldKeyApi & Record<string, unknown>];

describe('preload', () => {
  it('exposes window.fieldkey once, with the contract functions and nothing else', () => {
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect(name).toBe('fieldkey');
    expect(Object.keys(api).sort()).toEqual([...INVOKE_METHODS, 'onStateChanged'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(api)).not.toContain(ipcRenderer);
  });

  it('sends each call on its own channel with its arguments', async () => {
    await expect(api.unlock('account', '482915')).resolves.toEqual({ ok: true, value: 'x' });
    await api.getState();
    expect(ipcRenderer.invoke.mock.calls).toEqual([[channelFor('unlock'), 'account', '482915'], [channelFor('getState')]]);
  });

  it('gives listeners the state only, and unsubscribes', () => {
    const listener = vi.fn();
    const stop = api.onStateChanged(listener);
    const state = { status: 'signed-out', notice: null };
    ipcRenderer.emit(STATE_CHANGED_CHANNEL, { sender: ipcRenderer, senderId: 0 }, state);
    expect(listener).toHaveBeenCalledWith(state);
    expect(listener.mock.calls[0]).toHaveLength(1);
    stop();
    ipcRenderer.emit(STATE_CHANGED_CHANNEL, {}, state);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(ipcRenderer.listenerCount(STATE_CHANGED_CHANNEL)).toBe(0);
    expect(() => api.onStateChanged('not a function' as never)).toThrow(TypeError);
  });
});
