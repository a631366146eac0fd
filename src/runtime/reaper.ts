import type { Logger } from '../actors/types.js';

/**
 * Script calls (500 entries each) one sweep may spend reaping: a large backlog is taken in
 * slices, so it never holds up the next sweep's lease recovery for long.
 */
const REAP_CALLS_PER_SWEEP = 20;

/** The part of TaskQueue the reaper uses. */
export interface ExpiredLeaseStore {
  requeueExpired(limit?: number): Promise<number>;
  reap(options?: { maxCalls?: number }): Promise<{ completed: number; dead: number }>;
}

/**
 * How often the supervisor sweeps expired leases: half a lease, so a task whose worker
 * vanished without a trace (another host's crash, a network partition) waits at most
 * about 1.5 leases; but not more than once a second, which is plenty and keeps an idle
 * cluster's Redis quiet.
 *
 * @example
 * reapIntervalMs(30_000) // 15_000
 */
export function reapIntervalMs(leaseMs: number): number {
  return Math.max(1000, Math.floor(leaseMs / 2));
}

/**
 * Periodically puts tasks whose lease lapsed back to waiting. Dead workers of this
 * supervisor are handled faster by `releaseOwner`; this covers everyone else's.
 * Each sweep also reaps the finished indexes (`reap`): completions do it as they go,
 * bounded by their batch, so when they stop only this keeps the completed index (and
 * records Redis is slow to expire) from outliving the retention.
 * Sweeps never overlap: the next is scheduled when the previous one settles, so a
 * Redis outage parks one sweep in ioredis's offline queue instead of piling them up.
 *
 * @example
 * const reaper = new ExpiredLeaseReaper(queue, { everyMs: reapIntervalMs(30_000), log });
 * reaper.start();
 * await reaper.stop();
 */
export class ExpiredLeaseReaper {
  readonly #store: ExpiredLeaseStore;
  readonly #everyMs: number;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(store: ExpiredLeaseStore, { everyMs, log }: { everyMs: number; log: Logger }) {
    this.#store = store;
    this.#everyMs = everyMs;
    this.#log = log;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stops sweeping. A sweep already sent is not awaited: it may be stuck behind a Redis outage. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => void this.#sweep(), this.#everyMs);
  }

  async #sweep(): Promise<void> {
    try {
      const moved = await this.#store.requeueExpired();
      if (moved > 0) this.#log.info({ moved }, 'requeued tasks whose lease expired');
      const reaped = await this.#store.reap({ maxCalls: REAP_CALLS_PER_SWEEP });
      if (reaped.completed + reaped.dead > 0) this.#log.debug({ reaped }, 'reaped finished tasks past their retention');
    } catch (err) {
      if (this.#running) this.#log.warn({ err }, 'requeueing expired leases or reaping failed; will try again');
    }
    this.#schedule();
  }
}
