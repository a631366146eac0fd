import { GuardWaitError, ThrottledError, UnknownTaskTypeError, ValidationError, toError } from '../infra/errors.js';
import type { Lease } from '../infra/types.js';
import type { Settlement } from './attempt.js';
import { CompletionBatcher } from './completion-batcher.js';
import type { Notify } from './events.js';
import { failOptionsFor } from './fail-options.js';
import { OutcomeLog } from './outcome-log.js';
import { parkDelayMs } from './park.js';
import { withRetries } from './store-retry.js';
import type { LeaseStore, Logger } from './types.js';

/**
 * Records each attempt's settlement in the store, emits the matching event and logs
 * the outcome's line (outcome-log.ts).
 * Completions go through a CompletionBatcher; failures and releases are single
 * calls. Every call is retried a few times on store errors; if it still fails, the
 * task is left to its lease expiry, which requeues it (the final safety net).
 *
 * @example
 * const reporter = new OutcomeReporter(store, log, notify, onStoreError);
 * await reporter.report(lease, { kind: 'completed', result: 42 }, 12);
 */
export class OutcomeReporter {
  readonly #store: LeaseStore;
  readonly #log: Logger;
  readonly #notify: Notify;
  readonly #onStoreError: (error: unknown) => void;
  readonly #batcher: CompletionBatcher;
  readonly #outcomes: OutcomeLog;
  readonly #unknownTypeGraceMs: number;
  readonly #known: readonly string[];

  constructor(store: LeaseStore, log: Logger, notify: Notify, onStoreError: (error: unknown) => void,
    { unknownTypeGraceMs = 0, knownTypes = [] }: { unknownTypeGraceMs?: number; knownTypes?: readonly string[] } = {}) {
    this.#store = store;
    this.#log = log;
    this.#notify = notify;
    this.#onStoreError = onStoreError;
    this.#batcher = new CompletionBatcher(store, onStoreError);
    this.#outcomes = new OutcomeLog(log);
    this.#unknownTypeGraceMs = unknownTypeGraceMs;
    this.#known = knownTypes;
  }

  /** Sends waiting completions now rather than at the end of the batching window. */
  flush(): void {
    this.#batcher.flush();
  }

  /** Never rejects: a report that cannot be made is logged and left to the lease expiry. */
  async report(lease: Lease, settlement: Settlement, durationMs: number): Promise<void> {
    try {
      switch (settlement.kind) {
        case 'completed':
          return await this.#complete(lease, settlement.result, durationMs);
        case 'failed':
          if (settlement.error instanceof GuardWaitError) return await this.#waitForApi(lease, settlement.error);
          if (settlement.error instanceof UnknownTaskTypeError && this.#unknownTypeGraceMs > 0) return await this.#unknownType(lease, settlement.error);
          return await this.#fail(lease, settlement.error);
        case 'lost':
          return this.#lost(lease);
        case 'stopped':
          if (await withRetries(() => this.#store.release(lease), this.#onStoreError)) this.#outcomes.released(lease);
          return;
      }
    } catch (error) {
      this.#log.error({ err: toError(error), taskId: lease.id, outcome: settlement.kind },
        'could not record the outcome; the task is requeued when its lease expires');
    }
  }

  async #complete(lease: Lease, result: unknown, durationMs: number): Promise<void> {
    let recorded: boolean;
    try {
      recorded = await this.#batcher.add(lease, result);
    } catch (error) {
      // The result cannot be stored (too large, not JSON). Running the task again
      // would most likely produce the same result, so it is dead-lettered with the reason.
      if (error instanceof ValidationError) return this.#fail(lease, error, { retryable: false });
      throw error;
    }
    if (!recorded) return this.#lost(lease);
    this.#outcomes.completed(lease, durationMs);
    this.#notify('task:completed', lease, { durationMs });
  }

  /**
   * During a rolling deploy a new task type can arrive before the workers that handle it:
   * park it (released with a delay, attempt uncounted) until the grace since its creation
   * is over, then dead-letter it.
   */
  async #unknownType(lease: Lease, error: UnknownTaskTypeError): Promise<void> {
    const delayMs = parkDelayMs(lease, this.#unknownTypeGraceMs);
    if (delayMs === null) return this.#fail(lease, new UnknownTaskTypeError(lease.type, this.#known, { graceMs: this.#unknownTypeGraceMs }), { retryable: false });
    const released = await withRetries(() => this.#store.release(lease, { delayMs }), this.#onStoreError);
    if (!released) return this.#lost(lease);
    this.#outcomes.parked(lease, delayMs, this.#unknownTypeGraceMs - Math.max(0, lease.claimedAt - lease.createdAt));
    this.#notify('task:parked', lease, error, { retryInMs: delayMs });
  }

  /**
   * The API's guard holds calls (breaker open, a 429 pause, a long rate wait): the task waits
   * in Redis, its attempt uncounted, rather than in a worker slot. A 429 adds to the task's
   * throttle count, and past the cap the task is dead-lettered instead.
   */
  async #waitForApi(lease: Lease, error: GuardWaitError): Promise<void> {
    const delayMs = error.retryInMs;
    let outcome: 'delayed' | 'capped' | 'stale';
    if (error.throttles > 0 && this.#store.throttle) {
      const store = this.#store as Required<LeaseStore>;
      outcome = await withRetries(() => store.throttle(lease, { delayMs, throttles: error.throttles, maxThrottles: error.maxThrottles }), this.#onStoreError);
    } else {
      outcome = (await withRetries(() => this.#store.release(lease, { delayMs }), this.#onStoreError)) ? 'delayed' : 'stale';
    }
    if (outcome === 'capped') return this.#fail(lease, new ThrottledError(error.maxThrottles + 1, error.maxThrottles), { retryable: false });
    if (outcome === 'stale') return this.#notify('lease:lost', lease);
    this.#log.debug({ taskId: lease.id, reason: error.reason, retryInMs: delayMs }, 'the API guard holds calls; the task waits in Redis, its attempt uncounted');
    this.#notify('task:parked', lease, error, { retryInMs: delayMs });
  }

  async #fail(lease: Lease, error: Error, options = failOptionsFor(error)): Promise<void> {
    // The backoff is drawn here rather than in the store, so the retry line tells the delay
    // actually scheduled. The event keeps `retryInMs` for delays the error asked for.
    const retryInMs = options.retryInMs ?? (options.retryable === false ? undefined : this.#store.backoffFor?.(lease));
    const stored = retryInMs === undefined ? options : { ...options, retryInMs };
    const outcome = await withRetries(() => this.#store.fail(lease, error, stored), this.#onStoreError);
    if (outcome === 'retrying') {
      this.#outcomes.retrying(lease, error, retryInMs);
      this.#notify('task:retrying', lease, error, options.retryInMs === undefined ? {} : { retryInMs: options.retryInMs });
    } else if (outcome === 'dead') {
      this.#outcomes.dead(lease, error);
      this.#notify('task:dead', lease, error);
    } else {
      this.#lost(lease);
    }
  }

  #lost(lease: Lease): void {
    this.#outcomes.lost(lease);
    this.#notify('lease:lost', lease);
  }
}
