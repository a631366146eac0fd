import { LeaseLostError, TaskTimeoutError, toError } from '../infra/errors.js';
import type { Lease } from '../infra/types.js';
import { shutdownReason } from './errors.js';
import type { HandlerContext, LeaseStore, Logger, TaskHandler } from './types.js';

/**
 * How one attempt ended, before it is reported to the store:
 * - `completed`: the handler resolved; its value is the result.
 * - `failed`: the handler threw, or the short-lane deadline passed (a TaskTimeoutError).
 * - `lost`: the lease was lost while it ran; nothing may be reported.
 * - `stopped`: shutdown ran out of drain time; the lease is released, the attempt not counted.
 *
 * @example
 * const settlement: Settlement = { kind: 'failed', error: new TaskTimeoutError(5000) };
 */
export type Settlement =
  | { readonly kind: 'completed'; readonly result: unknown }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'lost'; readonly error: LeaseLostError }
  | { readonly kind: 'stopped'; readonly error: Error };

/**
 * The endings imposed from outside the handler; each fires the handler's signal.
 *
 * @example
 * attempt.end(Attempt.lost(lease));
 */
export type Interruption = Exclude<Settlement, { kind: 'completed' }>;

/**
 * One run of a handler on one lease. Whoever ends it first (the handler, the
 * deadline, a lost lease, shutdown) decides its settlement; the rest are ignored.
 *
 * @example
 * const attempt = new Attempt(lease, store);
 * setTimeout(() => attempt.end(Attempt.timedOut(1000)), 1000);
 * const settlement = await attempt.run(handler, () => log);
 */
export class Attempt {
  readonly lease: Lease;
  readonly #store: LeaseStore;
  /**
   * Made when the handler first reads `ctx.signal`: an AbortController and its listener
   * cost more than a no-op task's whole run, and most handlers that never look at the
   * signal do not need one. The race in run() waits on #interrupted instead.
   */
  #controller: AbortController | undefined;
  #onInterrupt: (() => void) | undefined;
  #interruption: Interruption | undefined;
  #settled = false;
  /** Settles when the handler's own promise does, however the attempt ended. */
  #handlerDone: Promise<void> = Promise.resolve();
  #handlerRunning = false;

  constructor(lease: Lease, store: LeaseStore) {
    this.lease = lease;
    this.#store = store;
  }

  static timedOut(timeoutMs: number): Interruption {
    return { kind: 'failed', error: new TaskTimeoutError(timeoutMs) };
  }

  static lost(lease: Lease): Interruption {
    return { kind: 'lost', error: new LeaseLostError(lease.id) };
  }

  static stopped(): Interruption {
    return { kind: 'stopped', error: shutdownReason() };
  }

  /** Set once the attempt was interrupted; the handler's outcome no longer counts. */
  get interruption(): Interruption | undefined {
    return this.#interruption;
  }

  /**
   * True while the handler's promise has not settled. After an interruption this is a
   * handler that ignores its signal: it still holds its slot (see Actor).
   */
  get handlerRunning(): boolean {
    return this.#handlerRunning;
  }

  /** Settles (never rejects) once the handler's promise settles. */
  get handlerSettled(): Promise<void> {
    return this.#handlerDone;
  }

  /** Interrupts the attempt: the handler's signal fires with the ending's error. Only the first call counts. */
  end(interruption: Interruption): void {
    if (this.#interruption) return;
    this.#interruption = interruption;
    this.#controller?.abort(interruption.error);
    this.#onInterrupt?.();
  }

  /**
   * Runs the handler and settles as soon as it finishes or the attempt is interrupted,
   * whichever comes first. A handler that ignores its signal is not waited for here: its
   * late result is dropped (Promise.race keeps its late rejection handled), and
   * `handlerSettled` tells the actor when it finally lets go of its slot.
   */
  async run(handler: TaskHandler, log: () => Logger): Promise<Settlement> {
    if (this.#interruption) return this.#interruption;
    const interrupted = new Promise<void>((resolve) => (this.#onInterrupt = resolve));
    const running = (async () => handler(this.lease, this.#context(log)))();
    this.#handlerRunning = true;
    // Subscribed before the race below, so the flag is down by the time run() settles
    // with the handler's own outcome.
    const done = () => {
      this.#handlerRunning = false;
    };
    this.#handlerDone = running.then(done, done);
    try {
      const result = await Promise.race([running, interrupted]);
      return this.#interruption ?? { kind: 'completed', result };
    } catch (thrown) {
      return this.#interruption ?? { kind: 'failed', error: toError(thrown) };
    } finally {
      this.#settled = true;
    }
  }

  /** The handler's signal; aborted at once (with the ending's error) if the attempt already ended. */
  #signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#interruption) this.#controller.abort(this.#interruption.error);
    }
    return this.#controller.signal;
  }

  #context(makeLog: () => Logger): HandlerContext {
    const { lease } = this;
    let log: Logger | undefined;
    // Getters: the signal and the task's child logger are made only for handlers that use them.
    const attempt = this;
    return {
      get signal() {
        return attempt.#signal();
      },
      get log() {
        log ??= makeLog();
        return log;
      },
      attempt: lease.attempt,
      fence: lease.fence,
      heartbeat: async () => {
        // Once settled the outcome is decided; renewing would only keep a finished lease
        // alive, and a handler that outlived its attempt must not reach the store.
        if (this.#settled || this.#interruption) return false;
        const alive = await this.#store.heartbeat(lease);
        if (!alive) this.end(Attempt.lost(lease));
        return alive;
      },
    };
  }
}
