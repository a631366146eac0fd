import type { RestartOptions } from './options.js';

/** How one worker process ended. */
export interface WorkerEnd {
  /** It had sent `ready`. */
  ready: boolean;
  uptimeMs: number;
  code: number | null;
  signal: string | null;
}

export type RestartDecision =
  | { restart: true; delayMs: number; immediateCrash: boolean }
  | { restart: false; crashes: number };

/**
 * Signals that come from outside the process (an operator, an orchestrator, a chaos
 * test, the OOM killer) rather than from a bug that would strike again on restart.
 */
const EXTERNAL_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/**
 * Decides, per worker slot, whether and when to restart a worker that ended.
 *
 * Only an *immediate crash* counts toward giving up: the worker ended on its own (a
 * non-zero exit code or a fault signal such as SIGSEGV) before sending `ready`, or
 * within `minUptimeMs` of starting. Such a worker would most likely do the same again,
 * e.g. when its handlers module cannot be loaded. A worker killed from outside never
 * counts, even before `ready`, so killing workers now and then (a chaos test kills one
 * every 500 ms) cannot trip the guard; and a worker that was ready and then ended for
 * any other reason resets the count. Restarts back off exponentially with the count.
 *
 * @example
 * const policy = new RestartPolicy({ baseDelayMs: 100, maxDelayMs: 10_000, maxCrashes: 5, minUptimeMs: 5000 });
 * policy.decide({ ready: false, uptimeMs: 80, code: 1, signal: null }); // { restart: true, delayMs: 200, immediateCrash: true }
 */
export class RestartPolicy {
  readonly #options: Required<RestartOptions>;
  #crashes = 0;

  constructor(options: Required<RestartOptions>) {
    this.#options = options;
  }

  /** Consecutive immediate crashes so far. */
  get crashes(): number {
    return this.#crashes;
  }

  decide(end: WorkerEnd): RestartDecision {
    const { baseDelayMs, maxDelayMs, maxCrashes, minUptimeMs } = this.#options;
    const external = end.code === 0 || (end.signal !== null && EXTERNAL_SIGNALS.has(end.signal));
    const immediateCrash = !external && (!end.ready || end.uptimeMs < minUptimeMs);
    if (immediateCrash) this.#crashes += 1;
    else if (end.ready) this.#crashes = 0;
    if (this.#crashes >= maxCrashes) return { restart: false, crashes: this.#crashes };
    const delayMs = Math.min(baseDelayMs * 2 ** this.#crashes, maxDelayMs);
    return { restart: true, delayMs, immediateCrash };
  }
}
