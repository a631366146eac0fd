/**
 * The cluster primary: forks the worker processes, recovers their leases when they die,
 * restarts them, and coordinates shutdown.
 *
 * Each worker *slot* (`w0`, `w1`…) hosts a fixed share of the actors (see plan.ts) and
 * is filled by one process at a time. Every process gets a fresh lease owner id, so
 * when one dies the primary can `releaseOwner` it at once (its tasks go back to waiting
 * without waiting for their leases to lapse) while the replacement, under another id,
 * is already claiming. Restarts back off, and a slot whose workers keep crashing right
 * after start is given up (restart-policy.ts); when every slot is given up the runtime
 * fails and stops.
 *
 * A worker that reports itself `wedged` (handlers that ignore their deadline hold every
 * slot of one of its actors) is replaced: a new process takes its slot at once, and the
 * old one is drained with the drain timeout, killed if it is still there after the exit
 * grace, and its leases released like any dead worker's.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../actors/types.js';
import { ControlQueue } from './control.js';
import { addApiCalls, emptyApiCalls, type ApiCallCounts } from '../infra/api/api-calls.js';
import { addGuardCounts, emptyGuardCounts, type GuardCounts } from '../infra/api/guard-counts.js';
import { toError, type LayoutError, type ShardCountError } from '../infra/errors.js';
import { CrashLoopError, RedisWaitError } from './errors.js';
import { checkHandlers } from './handlers.js';
import { HOST_EVENT } from './host.js';
import { fromErrorData, parseWorkerMessage, WORKER_INIT_ENV, workerInit, type LaneCounts, type TaskMessage, type WedgedMessage, type WorkerMessage, type WorkerStats } from './ipc.js';
import type { ResolvedOptions } from './options.js';
import { planWorkers } from './plan.js';
import { RestartPolicy } from './restart-policy.js';
import { TIMED_OUT, within } from './shutdown.js';
import { awaitRedis, layoutProblem, warnIfHttpTasksWait } from './startup.js';
import { sumStats, type Runtime, type RuntimeEvents, type RuntimeState, type RuntimeStats, type TaskEvent, type WorkerInfo } from './types.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** After the drain timeout, how long workers get to release, close and exit before they are killed. */
const EXIT_GRACE_MS = 10_000;
/** Bound on one releaseOwner, so a Redis outage cannot stall restarts' bookkeeping or shutdown. */
const RELEASE_WAIT_MS = 5000;
const STATS_EVERY_MS = 1000;

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly lanes: LaneCounts;
  readonly policy: RestartPolicy;
  generation: number;
  worker: Worker | undefined;
  owner: string;
  pid: number;
  startedAt: number;
  ready: boolean;
  everReady: boolean;
  abandoned: boolean;
  lastError: string | undefined;
  stats: WorkerStats | null;
  /** The current process's cumulative external API calls (from its latest report). */
  apiCalls: ApiCallCounts | null;
  guard: GuardCounts | null;
  /** The current process's stuck handlers per lane (from its latest report). */
  stuck: LaneCounts | null;
  restartTimer: NodeJS.Timeout | undefined;
}

/** A wedged process already replaced in its slot, draining until it exits. */
interface Retiring {
  readonly slot: Slot;
  readonly info: WorkerInfo;
  readonly killTimer: NodeJS.Timeout;
}

/**
 * The multi-process runtime (`processes` ≥ 1). Use `createRuntime`, which picks it.
 *
 * @example
 * const runtime = new ClusterRuntime(resolveOptions({ short: 8, long: 2, handlers: './handlers.js' }), log);
 * await runtime.start();
 * process.once('SIGTERM', () => void runtime.stop());
 */
export class ClusterRuntime extends EventEmitter<RuntimeEvents> implements Runtime {
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  readonly #slots: Slot[];
  /** Distinguishes this primary's owners from those of an earlier primary with a reused pid. */
  readonly #ownerPrefix = `${hostname()}/${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #releases = new Set<Promise<unknown>>();
  readonly #retiring = new Map<Worker, Retiring>();
  #state: RuntimeState = 'idle';
  #control: ControlQueue | undefined;
  #started: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #stopped: Promise<void> | undefined;
  #finishStop: (() => void) | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #force = false;
  /** Aborted by stop(), to end a start-up still waiting for Redis. */
  readonly #halt = new AbortController();
  /** API calls of processes that have ended, so the runtime's totals never go down on a restart. */
  #exitedApiCalls = emptyApiCalls();
  #exitedGuard = emptyGuardCounts();

  constructor(options: ResolvedOptions, log: Logger) {
    super();
    this.#options = options;
    this.#log = log;
    this.#slots = planWorkers(options).map((lanes, index) => ({
      index, name: `w${index}`, lanes, policy: new RestartPolicy(options.restart), generation: 0, worker: undefined,
      owner: '', pid: 0, startedAt: 0, ready: false, everReady: false, abandoned: false, lastError: undefined, stats: null, apiCalls: null, guard: null, stuck: null, restartTimer: undefined,
    }));
  }

  get state(): RuntimeState {
    return this.#state;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`Cannot start a runtime that is ${this.#state}`);
    this.#state = 'starting';
    const o = this.#options;
    this.#log.info({ redis: o.redisLabel, queue: o.queue, short: o.short, long: o.long, concurrency: o.concurrency, processes: this.#slots.map((s) => s.lanes) }, 'supervisor starting');
    let handlerTypes: ReadonlySet<string>;
    try {
      // Checked here, once: a module that cannot load would otherwise crash every worker in turn.
      handlerTypes = await checkHandlers(o);
    } catch (err) {
      this.#state = 'stopped';
      throw err;
    }
    if (this.#state !== 'starting') return; // stop() ran while the module loaded
    this.#control = new ControlQueue(o, this.#log, { onDown: (reason) => this.emit('redis:down', reason), onUp: () => this.emit('redis:up') });
    if (this.#slots.length === 0) this.#log.warn({}, 'no actors configured (--short 0 --long 0): only sweeping expired leases');
    const started = new Promise<void>((resolve, reject) => {
      this.#started = { resolve, reject };
    });
    // A fork that throws (out of processes, say) fails the start like any other start-up failure.
    this.#startWhenRedisAnswers(this.#control, handlerTypes).catch((err: unknown) => {
      this.#log.error({ err }, 'the supervisor could not start its workers');
      this.#started?.reject(toError(err));
      this.#started = undefined;
      void this.stop();
    });
    return started;
  }

  /** Forks the workers once Redis answers, so that nothing reports ready while it cannot work. */
  async #startWhenRedisAnswers(control: ControlQueue, handlerTypes: ReadonlySet<string>): Promise<void> {
    const o = this.#options;
    const waited = await awaitRedis(control.queue.redis, { waitMs: o.redisWaitMs, signal: this.#halt.signal });
    if (waited === 'aborted' || this.#state !== 'starting') return;
    if (waited === 'timeout') {
      this.#fail(new RedisWaitError({ redis: o.redisLabel, waitedMs: o.redisWaitMs ?? 0, reason: control.lastRedisError() }));
      return;
    }
    // Every worker would refuse the queue, one crash loop each: refused here, once.
    const layout = await layoutProblem(control.queue);
    if (this.#state !== 'starting') return;
    if (layout) {
      this.#fail(layout);
      return;
    }
    await warnIfHttpTasksWait(control.queue, handlerTypes, this.#log);
    if (this.#state !== 'starting') return;
    for (const slot of this.#slots) this.#fork(slot);
    this.#checkStarted();
  }

  stop({ force = false }: { force?: boolean } = {}): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#stopped = Promise.resolve();
    }
    if (!this.#stopped) this.#beginStop(force);
    if (force && !this.#force && this.#state === 'stopping') {
      this.#force = true;
      this.#log.warn({}, 'forced stop: killing workers');
      for (const slot of this.#slots) slot.worker?.process.kill('SIGKILL');
      for (const worker of this.#retiring.keys()) worker.process.kill('SIGKILL');
    }
    return this.#stopped!;
  }

  #beginStop(force: boolean): void {
    this.#state = 'stopping';
    this.#halt.abort();
    this.#stopped = new Promise<void>((resolve) => {
      this.#finishStop = resolve;
    });
    // start() was still waiting for workers: it is over either way.
    this.#started?.resolve();
    this.#started = undefined;
    const timeoutMs = this.#options.drainTimeoutMs;
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    if (!force) {
      this.#log.info({ drainTimeoutMs: timeoutMs }, 'stopping: draining workers');
      for (const slot of this.#slots) this.#send(slot, { type: 'drain', timeoutMs });
    }
    this.#killTimer = setTimeout(() => {
      this.#log.warn({ drainTimeoutMs: timeoutMs }, 'workers did not exit after the drain timeout; killing them');
      for (const slot of this.#slots) slot.worker?.process.kill('SIGKILL');
      for (const worker of this.#retiring.keys()) worker.process.kill('SIGKILL');
    }, timeoutMs + EXIT_GRACE_MS);
    void this.#maybeStopped();
  }

  stats(): RuntimeStats {
    const workers = this.#slots.map((s) => ({ ...this.#info(s), ready: s.ready, restarts: Math.max(0, s.generation - 1), stats: s.stats }));
    const apiCalls = this.#slots.reduce((sum, s) => addApiCalls(sum, s.apiCalls), this.#exitedApiCalls);
    const apiGuard = this.#slots.reduce((sum, s) => addGuardCounts(sum, s.guard), this.#exitedGuard);
    const stuck: LaneCounts = { short: 0, long: 0 };
    for (const s of this.#slots) {
      if (!s.worker || !s.stuck) continue;
      stuck.short += s.stuck.short;
      stuck.long += s.stuck.long;
    }
    return { state: this.#state, workers, totals: sumStats(this.#slots.map((s) => (s.worker ? s.stats : null))), apiCalls, apiGuard, stuck };
  }

  #fork(slot: Slot): void {
    slot.generation += 1;
    slot.owner = `${this.#ownerPrefix}/${slot.name}.${slot.generation}`;
    slot.ready = false;
    slot.stats = null;
    slot.apiCalls = null;
    slot.guard = null;
    slot.stuck = null;
    slot.startedAt = Date.now();
    const init = workerInit(this.#options, slot, STATS_EVERY_MS);
    // setupPrimary is global to node:cluster; setting it before each fork keeps an app's own cluster use from redirecting ours.
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
    const worker = cluster.fork({ [WORKER_INIT_ENV]: JSON.stringify(init) });
    slot.worker = worker;
    slot.pid = worker.process.pid ?? 0;
    const owner = slot.owner;
    worker.on('message', (raw: unknown) => this.#onMessage(slot, owner, raw));
    worker.on('error', (err: Error) => this.#log.warn({ err, worker: slot.name }, 'worker IPC error'));
    worker.on('exit', (code: number | null, signal: string | null) => void this.#onExit(slot, worker, owner, code, signal));
    this.#log.debug({ worker: slot.name, owner, workerPid: slot.pid, lanes: slot.lanes }, 'worker forked');
  }

  #onMessage(slot: Slot, owner: string, raw: unknown): void {
    const parsed = parseWorkerMessage(raw);
    if (!parsed.ok) {
      this.#log.warn({ worker: slot.name, problem: parsed.problem }, 'ignored a malformed message from a worker');
      return;
    }
    const message = parsed.message;
    if (slot.owner !== owner && message.owner === owner && [...this.#retiring.values()].some((r) => r.info.owner === owner)) {
      // A replaced wedged process no longer speaks for its slot, but the outcomes of the
      // tasks it drains are still this runtime's.
      if (message.type === 'task') this.#emitTask(message);
      return;
    }
    if (message.owner !== owner || slot.owner !== owner) {
      this.#log.warn({ worker: slot.name, claimed: message.owner, owner }, 'ignored a message naming another owner');
      return;
    }
    this.#handle(slot, message);
  }

  #handle(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        slot.everReady = true;
        slot.pid = message.pid;
        this.#log.info({ worker: slot.name, owner: slot.owner, workerPid: slot.pid, lanes: slot.lanes }, 'worker ready');
        this.emit('worker:ready', this.#info(slot));
        // A drain sent while the worker was still loading may have arrived before it listened.
        if (this.#state === 'stopping') this.#send(slot, { type: 'drain', timeoutMs: this.#options.drainTimeoutMs });
        this.#checkStarted();
        break;
      case 'stats':
        slot.stuck = message.stuck ?? null;
        slot.stats = message.stats;
        if (message.apiCalls) slot.apiCalls = message.apiCalls;
        if (message.guard) slot.guard = message.guard;
        break;
      case 'drained':
        slot.stats = message.stats;
        if (message.apiCalls) slot.apiCalls = message.apiCalls;
        if (message.guard) slot.guard = message.guard;
        break;
      case 'wedged':
        this.#replaceWedged(slot, message);
        break;
      case 'task':
        this.#emitTask(message);
        break;
      case 'fatal':
        slot.lastError = `${message.error.name}: ${message.error.message}`;
        this.#log.error({ worker: slot.name, owner: slot.owner, error: message.error }, 'worker reported a fatal error');
        break;
    }
  }

  #emitTask(message: TaskMessage): void {
    const event: TaskEvent = { owner: message.owner, task: message.task };
    if (message.durationMs !== undefined) event.durationMs = message.durationMs;
    if (message.waitMs !== undefined) event.waitMs = message.waitMs;
    if (message.retryInMs !== undefined) event.retryInMs = message.retryInMs;
    if (message.error) event.error = fromErrorData(message.error);
    this.emit(HOST_EVENT[message.event], event);
  }

  /**
   * Forks the replacement first, so the slot's lanes keep claiming, then drains the wedged
   * process. Its stuck handlers are not waited for (they ignore their signal), but its
   * other tasks get the drain timeout to finish; a process still there after the exit
   * grace is killed.
   */
  #replaceWedged(slot: Slot, { lane, stuck, concurrency }: WedgedMessage): void {
    const worker = slot.worker;
    if (!worker || (this.#state !== 'starting' && this.#state !== 'running')) return; // stopping drains it anyway
    const info = this.#info(slot);
    if ([...this.#retiring.values()].some((r) => r.slot === slot)) {
      // Its predecessor is still draining: a second replacement would not help handlers that
      // hang everywhere, and each one more would be another process holding stuck handlers.
      this.#log.warn({ ...info, workerPid: info.pid, lane, stuck, concurrency }, 'the replacement of a wedged worker is wedged too; not replacing it again until its predecessor has exited');
      return;
    }
    this.#log.warn({ ...info, workerPid: info.pid, lane, stuck, concurrency, drainTimeoutMs: this.#options.drainTimeoutMs },
      'handlers that ignore their deadline hold every slot of an actor; replacing the worker process');
    // Its calls from now on go unreported; counters stay monotonic, a little behind.
    this.#exitedApiCalls = addApiCalls(this.#exitedApiCalls, slot.apiCalls);
    const killTimer = setTimeout(() => worker.process.kill('SIGKILL'), this.#options.drainTimeoutMs + EXIT_GRACE_MS);
    this.#retiring.set(worker, { slot, info, killTimer });
    this.#fork(slot);
    this.#sendTo(worker, slot, { type: 'drain', timeoutMs: this.#options.drainTimeoutMs });
    this.emit('worker:wedged', { ...info, lane, stuck, concurrency, replaced: true });
  }

  async #onRetiredExit(worker: Worker, { slot, info, killTimer }: Retiring, code: number | null, signal: string | null): Promise<void> {
    this.#retiring.delete(worker);
    clearTimeout(killTimer);
    const released = await this.#release(info.owner);
    this.#log.info({ worker: slot.name, owner: info.owner, workerPid: info.pid, code, signal, released }, 'replaced wedged worker exited');
    this.emit('worker:exit', { ...info, code, signal, ready: true, uptimeMs: 0, released, restartInMs: null });
    await this.#maybeStopped();
  }

  async #onExit(slot: Slot, worker: Worker, owner: string, code: number | null, signal: string | null): Promise<void> {
    const retiring = this.#retiring.get(worker);
    if (retiring) return this.#onRetiredExit(worker, retiring, code, signal);
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    // Calls made after its last report are not known; counters stay monotonic, a little behind.
    this.#exitedApiCalls = addApiCalls(this.#exitedApiCalls, slot.apiCalls);
    slot.apiCalls = null;
    this.#exitedGuard = addGuardCounts(this.#exitedGuard, slot.guard);
    slot.guard = null;
    const info = this.#info(slot);
    const ready = slot.ready;
    const uptimeMs = Date.now() - slot.startedAt;
    slot.ready = false;
    // Released at once: the process is gone, so its leases can only be stale. (A command it
    // wrote just before dying might still be in flight to Redis; a claim landing after this
    // release would be recovered by requeueExpired when its lease lapses.) Started before
    // the restart decision: giving up on the last slot stops the runtime, and the stop waits
    // for the releases under way before it closes the connection.
    const releasing = this.#release(owner);
    let restartInMs: number | null = null;
    if (this.#state === 'starting' || this.#state === 'running') {
      const decision = slot.policy.decide({ ready, uptimeMs, code, signal });
      if (decision.restart) {
        restartInMs = decision.delayMs;
        slot.restartTimer = setTimeout(() => {
          if (this.#state === 'starting' || this.#state === 'running') this.#fork(slot);
        }, decision.delayMs);
      } else {
        this.#abandon(slot, decision.crashes);
      }
    }
    const expected = this.#state === 'stopping' || this.#state === 'stopped';
    const facts = { worker: slot.name, owner, workerPid: info.pid, code, signal, ready, uptimeMs, restartInMs };
    if (expected) this.#log.info(facts, 'worker exited');
    else this.#log.warn(facts, 'worker died');
    const released = await releasing;
    if (released) this.#log.info({ worker: slot.name, owner, workerPid: info.pid, released }, 'released the leases of a worker that ended');
    this.emit('worker:exit', { ...info, code, signal, ready, uptimeMs, released, restartInMs });
    await this.#maybeStopped();
  }

  #release(owner: string): Promise<number | null> {
    const control = this.#control;
    if (!control) return Promise.resolve(null);
    const releasing = control.queue.releaseOwner(owner).catch((err: unknown) => {
      this.#log.error({ err, owner }, 'releaseOwner failed; those tasks come back when their leases expire');
      return null;
    });
    // Bounded, and the bounded promise is what shutdown waits for: during a Redis outage the
    // command stays queued in ioredis and runs when Redis is back, if this process still is.
    const bounded = within(releasing, this.#force ? 2000 : RELEASE_WAIT_MS).then((result) => {
      if (result !== TIMED_OUT) return result;
      this.#log.warn({ owner }, 'Redis did not answer releaseOwner in time; those tasks come back when Redis does, or when their leases expire');
      return null;
    });
    this.#releases.add(bounded);
    return bounded.finally(() => this.#releases.delete(bounded));
  }

  #abandon(slot: Slot, crashes: number): void {
    slot.abandoned = true;
    const error = new CrashLoopError({ workers: [slot.name], crashes, lastError: slot.lastError });
    this.#log.error({ worker: slot.name, crashes, lastError: slot.lastError }, error.message);
    this.emit('worker:abandoned', error, this.#info(slot));
    if (!this.#slots.every((s) => s.abandoned)) {
      this.#checkStarted();
      return;
    }
    this.#fail(new CrashLoopError({ workers: this.#slots.map((s) => s.name), crashes, lastError: slot.lastError, all: true }));
  }

  /** The runtime cannot run: reported once (log, `runtime:failed`, start() rejects), then stopped. */
  #fail(failure: CrashLoopError | RedisWaitError | LayoutError | ShardCountError): void {
    this.#log.error({ code: failure.code }, failure.message);
    this.emit('runtime:failed', failure);
    this.#started?.reject(failure);
    this.#started = undefined;
    void this.stop();
  }

  #checkStarted(): void {
    if (!this.#started || !this.#slots.every((s) => s.everReady || s.abandoned)) return;
    if (this.#state === 'starting') this.#state = 'running';
    this.#started.resolve();
    this.#started = undefined;
    this.#log.info({ workers: this.#slots.filter((s) => !s.abandoned).length }, 'supervisor running');
    this.emit('runtime:started');
  }

  async #maybeStopped(): Promise<void> {
    if (this.#state !== 'stopping' || this.#slots.some((s) => s.worker) || this.#retiring.size > 0 || !this.#finishStop) return;
    const finish = this.#finishStop;
    this.#finishStop = undefined;
    clearTimeout(this.#killTimer);
    await Promise.allSettled([...this.#releases]);
    await this.#control?.close();
    this.#state = 'stopped';
    this.#log.info({}, 'supervisor stopped');
    this.emit('runtime:stopped');
    finish();
  }

  #send(slot: Slot, message: { type: 'drain'; timeoutMs: number }): void {
    if (slot.worker) this.#sendTo(slot.worker, slot, message);
  }

  #sendTo(worker: Worker, slot: Slot, message: { type: 'drain'; timeoutMs: number }): void {
    if (!worker.isConnected()) return;
    try {
      worker.send(message);
    } catch (err) {
      this.#log.warn({ err, worker: slot.name }, 'could not message a worker');
    }
  }

  #info(slot: Slot): WorkerInfo {
    return { worker: slot.name, owner: slot.owner, pid: slot.pid, lanes: slot.lanes };
  }
}
