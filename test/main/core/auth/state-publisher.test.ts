/** Publishing: each change pushed once, in order, never a repeat, nothing after close. */
import { describe, expect, it } from 'vitest';
import type { AppState } from '../../../../src/shared/app-state';
import { StatePublisher } from '../../../../src/main/core/auth/state-publisher';

const signedOut: AppState = { status: 'signed-out', notice: null };
const withNotice: AppState = { status: 'signed-out', notice: { code: 'signed_out', message: 'Signed out.' } };

function publisher(states: AppState[], gate?: Promise<void>) {
  const queue = [...states];
  const pushed: AppState[] = [];
  const logLines: string[] = [];
  const p = new StatePublisher(
    signedOut,
    async () => {
      await gate;
      return queue.shift() ?? signedOut;
    },
    (line) => logLines.push(line),
  );
  p.subscribe((s) => pushed.push(s));
  return { p, pushed, logLines };
}

describe('StatePublisher', () => {
  it('pushes only changes, in call order', async () => {
    const { p, pushed } = publisher([signedOut, withNotice, withNotice, signedOut]);
    await Promise.all([p.publish(), p.publish(), p.publish(), p.publish()]);
    expect(pushed).toEqual([withNotice, signedOut]);
    expect(p.current).toEqual(signedOut);
  });

  it('stops at close, even for a derivation already running', async () => {
    let release!: () => void;
    const { p, pushed } = publisher([withNotice], new Promise((resolve) => (release = resolve)));
    const running = p.publish();
    const closing = p.close();
    release();
    await Promise.all([running, closing]);
    expect(pushed).toEqual([]);
    await p.publish();
    expect(pushed).toEqual([]);
  });

  it('a listener that throws does not stop the others; unsubscribe works', async () => {
    const { p, pushed, logLines } = publisher([withNotice, signedOut]);
    const unsubscribe = p.subscribe(() => {
      throw new TypeError('boom');
    });
    await p.publish();
    unsubscribe();
    await p.publish();
    expect(pushed).toEqual([withNotice, signedOut]);
    expect(logLines).toEqual(['state listener failed: TypeError']);
  });
});
