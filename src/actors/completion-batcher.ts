import { ValidationError } from '../infra/errors.js';
import type { Lease } from '../infra/types.js';
import { withRetries } from './store-retry.js';
import type { LeaseStore } from './types.js';

/** How long the first completion of a batch waits for company. Short: it delays every result by this much. */
export const COMPLETION_WINDOW_MS = 5;
/** Most completions per store call, so one script call never blocks Redis for long. */
export const COMPLETION_BATCH_MAX = 100;

interface Entry {
  lease: Lease;
  result: unknown;
  resolve(ok: boolean): void;
  reject(error: unknown): void;
}

/**
 * Coalesces completions that arrive within a few ms into one `completeMany` call:
 * one Redis round trip for many tasks. Each `add` resolves with that task's own
 * verdict (false: the fence was stale) or rejects once the store call has failed
 * for good.
 *
 * @example
 * const batcher = new CompletionBatcher(store, (err) => log.warn({ err }));
 * const [a, b] = await Promise.all([batcher.add(leaseA, 1), batcher.add(leaseB, 2)]); // one completeMany
 */
export class CompletionBatcher {
  readonly #store: LeaseStore;
  readonly #onError: (error: unknown) => void;
  #pending: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: LeaseStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  add(lease: Lease, result: unknown): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#pending.push({ lease, result, resolve, reject });
      if (this.#pending.length >= COMPLETION_BATCH_MAX) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), COMPLETION_WINDOW_MS);
    });
  }

  /** Sends whatever is waiting now, without waiting out the window (used on shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) void this.#send(batch);
  }

  async #send(batch: Entry[]): Promise<void> {
    try {
      const entries = batch.map(({ lease, result }) => ({ lease, result }));
      const verdicts = await withRetries(() => this.#store.completeMany(entries), this.#onError);
      batch.forEach((entry, i) => entry.resolve(verdicts[i] === true));
    } catch (error) {
      // One unstorable result (too large, not JSON) rejects the whole script call;
      // resend one by one so it fails alone and the others still complete.
      if (error instanceof ValidationError && batch.length > 1) {
        for (const entry of batch) void this.#send([entry]);
        return;
      }
      for (const entry of batch) entry.reject(error);
    }
  }
}
