/**
 * The current state and its subscribers. `publish()` derives the state again (one derivation at a
 * time, in call order) and calls every listener only when the result differs from the last one, so
 * the renderer sees each change once and no repeats.
 */
import type { AppState } from '../../../shared/app-state';
import { errorCode } from './error-code';

export class StatePublisher {
  private state: AppState;
  private json: string;
  private readonly listeners = new Set<(state: AppState) => void>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    initial: AppState,
    private readonly derive: () => Promise<AppState>,
    private readonly log: (line: string) => void,
  ) {
    this.state = initial;
    this.json = JSON.stringify(initial);
  }

  get current(): AppState {
    return this.state;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Derives the state again; resolves once it is current (and pushed, if it changed). */
  publish(): Promise<void> {
    this.chain = this.chain.then(() => this.publishNow()).catch((error: unknown) => this.log(`state update failed: ${errorCode(error)}`));
    return this.chain;
  }

  /** Stops publishing at once (a derivation in progress is not pushed), then waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.chain;
  }

  private async publishNow(): Promise<void> {
    if (this.closed) return;
    const next = await this.derive();
    const json = JSON.stringify(next);
    if (json === this.json || this.closed) return;
    this.state = next;
    this.json = json;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch (error) {
        this.log(`state listener failed: ${errorCode(error)}`);
      }
    }
  }
}
