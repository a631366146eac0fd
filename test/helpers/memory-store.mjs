// An in-memory LeaseStore for actor unit tests: no Redis, deterministic, and it
// records every call. It follows TaskQueue's contract closely enough for actors:
// fenced leases, stale writes refused, wake generations bumped on new work.

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate()` is true, checking every 5 ms; rejects after `timeoutMs`. */
export async function until(predicate, { timeoutMs = 5000, what = 'condition' } = {}) {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves with the arguments of the next `event` emitted by `emitter`; rejects after `timeoutMs`. */
export function nextEvent(emitter, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no \`${event}\` within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** A promise with its resolve function exposed, to hold handlers until a test lets them go. */
export function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

let taskCounter = 0;

export class MemoryStore {
  /** Every call, in order: `{ method, args }`. */
  calls = [];
  /** Waiting task records by lane. */
  waiting = { short: [], long: [] };
  /** Current fence by task id, for active tasks. */
  active = new Map();
  /** Results by task id. */
  completed = new Map();
  /** `{ lease, error, options, outcome }` per fail call that was not stale. */
  failures = [];
  /** Ids released back to waiting. */
  released = [];
  /** `{ id, delayMs }` per release with a delay (a parked task). */
  parked = [];
  /** Value `claimBatch` reports as `nextDueInMs`. */
  nextDueInMs = null;
  /** Called with the lease on each heartbeat; return false to report the lease lost. */
  heartbeatVerdict = () => true;
  #generation = { short: 0, long: 0 };
  #waiters = new Set();
  #faults = [];
  #hooks = new Map();
  #fence = 0;
  #tasks = new Map();

  /** Adds waiting tasks and wakes their lane, as enqueue's PUBLISH would. Returns their ids. */
  add(...inputs) {
    const ids = [];
    for (const input of inputs) {
      taskCounter += 1;
      const task = { id: `t${taskCounter}`, type: 'ok', lane: 'short', payload: null, timeoutMs: 0, maxAttempts: 5, attempts: 0, ...input };
      this.waiting[task.lane].push(task);
      ids.push(task.id);
      this.bump(task.lane);
    }
    return ids;
  }

  /** Makes the next `times` calls of `method` reject with `error`. */
  failNext(method, error, times = 1) {
    for (let i = 0; i < times; i += 1) this.#faults.push({ method, error });
  }

  /** Runs `fn(...args)` at the start of every call of `method` (awaited), e.g. to delay it. */
  hook(method, fn) {
    this.#hooks.set(method, fn);
  }

  /** Drops a lease as if it lapsed and was requeued elsewhere: its fence goes stale. */
  lose(id) {
    this.active.delete(id);
  }

  /** Simulates a wake-up message for `lane`. */
  bump(lane) {
    this.#generation[lane] += 1;
    for (const waiter of [...this.#waiters]) if (waiter.lane === lane) waiter.finish(true);
  }

  count(method) {
    return this.calls.filter((c) => c.method === method).length;
  }

  callsOf(method) {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async #enter(method, args) {
    this.calls.push({ method, args, at: Date.now() });
    const hook = this.#hooks.get(method);
    if (hook) await hook(...args);
    const i = this.#faults.findIndex((f) => f.method === method);
    if (i >= 0) throw this.#faults.splice(i, 1)[0].error;
  }

  async claimBatch(lane, { max, leaseMs, owner }) {
    await this.#enter('claimBatch', [lane, { max, leaseMs, owner }]);
    const leases = this.waiting[lane].splice(0, max).map((task) => {
      this.#fence += 1;
      task.attempts += 1;
      this.active.set(task.id, this.#fence);
      this.#tasks.set(task.id, task);
      const { id, type, payload, priority = 1000, timeoutMs, maxAttempts } = task;
      return { id, fence: this.#fence, attempt: task.attempts, owner, type, payload, lane, priority, timeoutMs, maxAttempts,
        createdAt: task.createdAt ?? Date.now(), expiresAt: Date.now() + leaseMs, readyAt: Date.now(), claimedAt: Date.now(), leaseMs };
    });
    return { leases, nextDueInMs: this.nextDueInMs, corrupt: 0 };
  }

  async heartbeat(lease, leaseMs) {
    await this.#enter('heartbeat', [lease, leaseMs]);
    return this.#holds(lease) && this.heartbeatVerdict(lease) !== false;
  }

  async completeMany(entries) {
    await this.#enter('completeMany', [entries]);
    return entries.map(({ lease, result }) => {
      if (!this.#holds(lease)) return false;
      this.active.delete(lease.id);
      this.completed.set(lease.id, result);
      return true;
    });
  }

  async fail(lease, error, options = {}) {
    await this.#enter('fail', [lease, error, options]);
    if (!this.#holds(lease)) return 'stale';
    this.active.delete(lease.id);
    // Retries are not requeued: tests inspect one attempt at a time.
    const outcome = options.retryable === false || lease.attempt >= lease.maxAttempts ? 'dead' : 'retrying';
    this.failures.push({ lease, error, options, outcome });
    return outcome;
  }

  async release(lease, options = {}) {
    await this.#enter('release', [lease, options]);
    if (!this.#holds(lease)) return false;
    this.active.delete(lease.id);
    const task = this.#tasks.get(lease.id);
    task.attempts -= 1; // a release does not count the attempt
    if (options.delayMs > 0) {
      // Parked: not requeued, like retries, so tests inspect one claim at a time.
      this.parked.push({ id: lease.id, delayMs: options.delayMs });
      return true;
    }
    this.waiting[lease.lane].unshift(task);
    this.released.push(lease.id);
    this.bump(lease.lane);
    return true;
  }

  wakeGeneration(lane) {
    this.calls.push({ method: 'wakeGeneration', args: [lane], at: Date.now() });
    return this.#generation[lane];
  }

  async waitForWork(lane, { since = this.#generation[lane], timeoutMs = 1000, signal } = {}) {
    await this.#enter('waitForWork', [lane, { since, timeoutMs }]);
    if (this.#generation[lane] !== since) return true;
    if (signal?.aborted) return false;
    return new Promise((resolve) => {
      const waiter = {
        lane,
        finish: (woken) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve(woken);
        },
      };
      const onAbort = () => waiter.finish(false);
      const timer = setTimeout(() => waiter.finish(false), timeoutMs);
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #holds(lease) {
    return this.active.get(lease.id) === lease.fence;
  }
}
