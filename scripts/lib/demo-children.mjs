// What a demo or chaos run started (producer connection, supervisor, flaky API, private
// Redis), and how to stop it: in order when there is time, all at once when there is not;
// plus the interrupt handling and error helpers both scripts share.
import { rmSync } from 'node:fs';
import { formatMs } from './demo-progress.mjs';

/** Exit status of a run cut short by Ctrl-C or SIGTERM. */
export const INTERRUPTED_EXIT = 130;

/**
 * An error that explains itself: the caller prints its message without a stack.
 *
 * @example
 * throw expected('the supervisor exited before it was ready');
 */
export function expected(message) {
  return Object.assign(new Error(message), { expected: true });
}

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
    timer = setTimeout(() => reject(expected(message())), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Rejects as soon as `signal` aborts, whatever `promise` is waiting for.
 *
 * @example
 * await abortable(supervisor.ready(20_000), interrupted);
 */
export function abortable(promise, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Handles SIGINT and SIGTERM: the first aborts the returned signal (with an Error named
 * after the process signal), so the run stops its children in order; a second calls
 * `onSecond` and exits with INTERRUPTED_EXIT at once.
 *
 * @param {{ say: (text: string) => void, stopping: string, onSecond?: (signal: string) => void }} options
 * @example
 * const interrupted = onInterrupt({ say, stopping: 'stopping the children (again to kill them at once)' });
 * await abortable(sleep(1000), interrupted);
 */
export function onInterrupt({ say, stopping, onSecond = () => {} }) {
  const controller = new AbortController();
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      signals += 1;
      if (signals === 1) {
        say(`\n${signal}: ${stopping}`);
        controller.abort(new Error(signal));
        return;
      }
      onSecond(signal);
      process.exit(INTERRUPTED_EXIT);
    });
  }
  return controller.signal;
}

/**
 * How a supervisor stopped, from DemoChildren.shutdown()'s `supervisor`; `stopMs` is the
 * drain time after which it was killed.
 *
 * @example
 * describeExit({ code: 0, signal: null, killed: false }, 20_000) // 'exit 0'
 */
export function describeExit(exit, stopMs) {
  if (!exit) return 'not running';
  const how = exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`;
  return exit.killed ? `${how} (killed after ${formatMs(stopMs)})` : how;
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
  /** Only ever a redis-server (or a cluster, with `killSync()`) this run started: a REDIS_URL is never stopped. */
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
    if (this.redis?.killSync) {
      this.redis.killSync(); // a cluster: every node
    } else if (this.redis) {
      if (this.redis.process.exitCode === null) this.redis.process.kill('SIGKILL');
      rmSync(this.redis.dir, { recursive: true, force: true });
    }
  }
}
