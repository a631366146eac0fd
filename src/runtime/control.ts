import type { Logger } from '../actors/types.js';
import { TaskQueue } from '../infra/task-queue.js';
import { runtimeQueueOptions, type ResolvedOptions } from './options.js';
import { ExpiredLeaseReaper, reapIntervalMs } from './reaper.js';
import { watchRedis } from './redis-watch.js';
import { closeQueue } from './shutdown.js';

/**
 * The supervisor's own connection to the queue: what it needs to recover leases
 * (`releaseOwner` for its dead workers, a periodic `requeueExpired` for everyone
 * else's), with the connection's state reported in the log.
 *
 * @example
 * const control = new ControlQueue(options, log, { onDown: (r) => emit('redis:down', r), onUp: () => emit('redis:up') });
 * await control.queue.releaseOwner(owner);
 * await control.close();
 */
export class ControlQueue {
  readonly queue: TaskQueue;
  readonly #ownsClient: boolean;
  readonly #reaper: ExpiredLeaseReaper;
  readonly #unwatch: () => void;
  #lastError = 'no answer yet';

  constructor(options: ResolvedOptions, log: Logger, hooks: { onDown: (reason: string) => void; onUp: () => void }) {
    this.queue = new TaskQueue(runtimeQueueOptions(options));
    this.#ownsClient = this.queue.redis !== options.redis;
    this.queue.on('queue:warning', (message) => log.warn({}, message));
    this.#unwatch = watchRedis(this.queue.redis, {
      label: options.redisLabel, log, onUp: hooks.onUp,
      onDown: (reason) => {
        this.#lastError = reason;
        hooks.onDown(reason);
      },
    });
    this.#reaper = new ExpiredLeaseReaper(this.queue, { everyMs: reapIntervalMs(options.leaseMs), log });
    this.#reaper.start();
  }

  /** The latest reason Redis could not be reached, for a start-up that gives up on it. */
  lastRedisError(): string {
    return this.#lastError;
  }

  /** Stops the sweeps and closes the connection (dropping it if Redis does not answer). */
  async close(): Promise<void> {
    this.#reaper.stop();
    this.#unwatch();
    await closeQueue(this.queue, { ownsClient: this.#ownsClient });
  }
}
