// What a demo run started (producer connection, supervisor, flaky API, private Redis),
// and how to stop it: in order when there is time, all at once when there is not.
import { rmSync } from 'node:fs';

/**
 * Rejects with `message()` (marked `expected`, so it is printed without a stack) unless
 * `promise` settles within `ms`.
 *
 * @example
 * await within(redis.ping(), 5000, () => 'Redis did not answer');
 */
export function within(promise, ms, message) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message()), { expected: true })), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The children of one run. Fill the fields as things start; `shutdown()` stops them and
 * `killAll()` is the synchronous last resort.
 *
 * @example
 * const own = new DemoChildren({ supervisorStopMs: 20_000 });
 * own.redis = await startRedisServer();
 * process.on('exit', () => own.killAll());
 * const { supervisor } = await own.shutdown();
 */
export class DemoChildren {
  /** @type {import('../../dist/index.js').TaskQueue | null} */
  queue = null;
  supervisor = null;
  api = null;
  /** Only ever a redis-server this run started: a REDIS_URL is never stopped. */
  redis = null;
  #supervisorStopMs;
  #stopping;

  constructor({ supervisorStopMs }) {
    this.#supervisorStopMs = supervisorStopMs;
  }

  /**
   * Stops everything in dependency order: the producer's connection, the supervisor
   * (which still needs the API and Redis while it drains), the API, Redis. Runs once;
   * each child stays in its field until it is stopped, so that a second Ctrl-C in the
   * middle can still kill whatever is left. Resolves with how the supervisor exited.
   */
  shutdown() {
    this.#stopping ??= (async () => {
      const result = { supervisor: null };
      // Bounded: a client still reconnecting to an unreachable Redis would wait for it forever.
      if (this.queue) await within(this.queue.close(), 2000, () => 'close').catch(() => this.queue.redis.disconnect());
      this.queue = null;
      if (this.supervisor) result.supervisor = await this.supervisor.stop(this.#supervisorStopMs);
      this.supervisor = null;
      await this.api?.close();
      this.api = null;
      await this.redis?.stop();
      this.redis = null;
      return result;
    })();
    return this.#stopping;
  }

  /** Synchronous: for a second Ctrl-C and for process exit, when nothing can be awaited. */
  killAll() {
    this.supervisor?.kill();
    if (this.redis) {
      if (this.redis.process.exitCode === null) this.redis.process.kill('SIGKILL');
      rmSync(this.redis.dir, { recursive: true, force: true });
    }
  }
}
