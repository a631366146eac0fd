// The chaos run's producer: submits a workload's batches one enqueueMany at a time and
// tallies what the queue said about each id, like the demo's; and it can be paused.
//
// Why pause: the Redis restart must not cut an enqueueMany in half. ioredis resends a
// command whose reply was lost with the connection; if Redis had executed it before it was
// killed, the resent call finds every id already known and answers "duplicate" for the
// originals. No task is lost or doubled (the ids are in the AOF), but the producer's tally,
// which the books check exactly, would no longer say which submissions were refused.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @example
 * const producer = new Producer(queue, plan, { everyMs: 100, signal });
 * const done = producer.run();
 * await producer.pause(); // no enqueueMany in flight from here on
 * producer.resume();
 * await done;
 * producer.tally // { submitted, suppressed, originalsRefused, duplicatesAccepted, accepted, done }
 */
export class Producer {
  #queue;
  #plan;
  #everyMs;
  #signal;
  #inFlight = null;
  #paused = null;
  #resume = () => {};
  /** What `closeBooks` expects as `produced`, plus `accepted` (tasks created so far). */
  tally = { submitted: 0, suppressed: 0, originalsRefused: 0, duplicatesAccepted: 0, accepted: 0, done: false, error: null };

  /**
   * @param {import('../../dist/index.js').TaskQueue} queue
   * @param {{ batches: object[][] }} plan
   * @param {{ everyMs: number, signal: AbortSignal }} options
   */
  constructor(queue, plan, { everyMs, signal }) {
    this.#queue = queue;
    this.#plan = plan;
    this.#everyMs = everyMs;
    this.#signal = signal;
  }

  /** Submits every batch; never rejects (a failure is kept in `tally.error`). */
  async run() {
    const seen = new Set();
    const t = this.tally;
    try {
      for (const batch of this.#plan.batches) {
        while (this.#paused) await this.#paused;
        this.#inFlight = this.#queue.enqueueMany(batch);
        const results = await this.#inFlight.finally(() => {
          this.#inFlight = null;
        });
        for (const { id, duplicate } of results) {
          const resubmitted = seen.has(id);
          seen.add(id);
          t.submitted += 1;
          if (duplicate) t.suppressed += 1;
          else t.accepted += 1;
          if (resubmitted && !duplicate) t.duplicatesAccepted += 1;
          if (!resubmitted && duplicate) t.originalsRefused += 1;
        }
        await sleep(this.#everyMs, undefined, { signal: this.#signal });
      }
    } catch (err) {
      if (!this.#signal.aborted) t.error = err;
    } finally {
      t.done = true;
    }
  }

  /** Holds the next batch back; resolves once no enqueueMany is in flight. */
  async pause() {
    this.#paused ??= new Promise((resolve) => {
      this.#resume = resolve;
    });
    await this.#inFlight?.catch(() => {});
  }

  resume() {
    this.#paused = null;
    this.#resume();
  }
}
