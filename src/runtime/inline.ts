import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { childOnce } from '../actors/log-bindings.js';
import type { Logger } from '../actors/types.js';
import { emptyApiCalls } from '../infra/api/api-calls.js';
import { emptyGuardCounts } from '../infra/api/guard-counts.js';
import { ControlQueue } from './control.js';
import type { LayoutError, ShardCountError } from '../infra/errors.js';
import { RedisWaitError } from './errors.js';
import { buildHandlers, type HandlerSet } from './handlers.js';
import { ActorHost, HOST_EVENT } from './host.js';
import { TASK_EVENTS } from './ipc.js';
import type { ResolvedOptions } from './options.js';
import { awaitRedis, layoutProblem, listenBeforeClaims, warnIfHttpTasksWait } from './startup.js';
import { EMPTY_STATS, type Runtime, type RuntimeEvents, type RuntimeState, type RuntimeStats, type WorkerInfo } from './types.js';

/**
 * The single-process runtime (`processes: 0`): every actor runs in the caller's process,
 * on the same queue connection the recovery sweeps use. Handlers may be plain functions.
 * There is no crash recovery of its own here: if this process dies, its leases lapse and
 * whichever supervisor runs `requeueExpired` (this one, once restarted) recovers them.
 *
 * @example
 * const runtime = new InlineRuntime(resolveOptions({ processes: 0, handlers: { echo: async (t) => t.payload } }), log);
 * await runtime.start();
 * await runtime.stop();
 */
export class InlineRuntime extends EventEmitter<RuntimeEvents> implements Runtime {
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  readonly #owner = `${hostname()}/${process.pid}-${randomBytes(3).toString('hex')}/inline`;
  #state: RuntimeState = 'idle';
  #control: ControlQueue | undefined;
  #handlers: HandlerSet | undefined;
  #host: ActorHost | undefined;
  #stopped: Promise<void> | undefined;
  /** Aborted by stop(), to end a start-up still waiting for Redis. */
  readonly #halt = new AbortController();

  constructor(options: ResolvedOptions, log: Logger) {
    super();
    this.#options = options;
    this.#log = log;
  }

  get state(): RuntimeState {
    return this.#state;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`Cannot start a runtime that is ${this.#state}`);
    this.#state = 'starting';
    const o = this.#options;
    const lanes = { short: o.short, long: o.long };
    this.#log.info({ redis: o.redisLabel, queue: o.queue, lanes, concurrency: o.concurrency, owner: this.#owner }, 'runtime starting in this process');
    this.#control = new ControlQueue(o, this.#log, { onDown: (reason) => this.emit('redis:down', reason), onUp: () => this.emit('redis:up') });
    try {
      this.#handlers = await buildHandlers({ apiUrl: o.apiUrl, apiTimeoutMs: o.apiTimeoutMs, handlers: o.handlers, guard: { apiGuard: o.apiGuard, taskTimeoutMs: o.taskTimeoutMs } });
      this.#handlers.guards?.attach(this.#control.queue.redis, o.queue);
    } catch (err) {
      await this.#control.close();
      this.#state = 'stopped';
      throw err;
    }
    const waited = await awaitRedis(this.#control.queue.redis, { waitMs: o.redisWaitMs, signal: this.#halt.signal });
    if (waited === 'timeout') {
      await this.#failStart(new RedisWaitError({ redis: o.redisLabel, waitedMs: o.redisWaitMs ?? 0, reason: this.#control.lastRedisError() }));
    }
    const layout = waited === 'up' ? await layoutProblem(this.#control.queue) : null;
    if (layout && this.#state === 'starting') await this.#failStart(layout);
    if (this.#state !== 'starting') {
      // stop() ran while the handlers loaded or Redis was awaited; it has closed the queue already.
      await this.#handlers.close();
      return;
    }
    await warnIfHttpTasksWait(this.#control.queue, new Set(Object.keys(this.#handlers.handlers)), this.#log);
    // `worker:ready` must also mean the actors hear new work (see listenBeforeClaims).
    await listenBeforeClaims(this.#control.queue, this.#halt.signal, this.#log);
    if (this.#state !== 'starting') {
      // stop() ran during that check (up to 2 s) or the subscription: starting actors now would run them on the closed queue.
      await this.#handlers.close();
      return;
    }
    const host = new ActorHost({
      store: this.#control.queue, handlers: this.#handlers.handlers, owner: this.#owner, lanes,
      concurrency: o.concurrency, leaseMs: o.leaseMs, taskTimeoutMs: o.taskTimeoutMs, unknownTypeGraceMs: o.unknownTypeGraceMs, log: childOnce(this.#log, { owner: this.#owner }),
    });
    this.#host = host;
    for (const event of TASK_EVENTS) host.on(HOST_EVENT[event], (e) => this.emit(HOST_EVENT[event], e));
    // No process to replace here: the wedged actor runs nothing until its handlers settle.
    // The app hears of it (and may restart itself); the other actors go on.
    host.on('actor:wedged', ({ lane, stuck, concurrency }) => {
      this.#log.warn({ lane, stuck, concurrency }, 'handlers that ignore their deadline hold every slot of an actor; in-process there is no worker to replace, so it runs nothing until they settle');
      this.emit('worker:wedged', { ...this.#info(), lane, stuck, concurrency, replaced: false });
    });
    host.start();
    this.#state = 'running';
    this.emit('worker:ready', this.#info());
    this.emit('runtime:started');
  }

  /** The start cannot go on: reported once (log, `runtime:failed`), stopped, and thrown to start(). */
  async #failStart(failure: RedisWaitError | LayoutError | ShardCountError): Promise<never> {
    this.#log.error({ code: failure.code }, failure.message);
    await this.#handlers!.close();
    await this.#control!.close();
    this.#state = 'stopped';
    this.emit('runtime:failed', failure);
    this.emit('runtime:stopped');
    throw failure;
  }

  stop({ force = false }: { force?: boolean } = {}): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#stopped = Promise.resolve();
    }
    // A forced stop during a graceful one cannot shorten it: an actor's stop() is single-shot.
    // The CLI bounds the wait itself (signals.ts); in-process there are no workers to kill.
    this.#halt.abort();
    this.#stopped ??= this.#stop(force ? 0 : this.#options.drainTimeoutMs);
    return this.#stopped;
  }

  stats(): RuntimeStats {
    const stats = this.#host?.stats() ?? { ...EMPTY_STATS };
    const ready = this.#state === 'running' || this.#state === 'stopping';
    const apiCalls = this.#handlers?.apiCalls() ?? emptyApiCalls();
    const apiGuard = this.#handlers?.guardCounts() ?? emptyGuardCounts();
    const stuck = this.#host?.stuck() ?? { short: 0, long: 0 };
    return { state: this.#state, workers: [{ ...this.#info(), ready, restarts: 0, stats }], totals: stats, apiCalls, apiGuard, stuck };
  }

  async #stop(drainTimeoutMs: number): Promise<void> {
    this.#state = 'stopping';
    this.#log.info({ drainTimeoutMs }, 'stopping: draining actors');
    try {
      await this.#host?.stop(drainTimeoutMs);
      await this.#handlers?.close();
    } catch (err) {
      this.#log.error({ err }, 'error while draining');
    }
    await this.#control?.close();
    this.#state = 'stopped';
    this.#log.info({}, 'runtime stopped');
    this.emit('runtime:stopped');
  }

  #info(): WorkerInfo {
    return { worker: 'inline', owner: this.#owner, pid: process.pid, lanes: { short: this.#options.short, long: this.#options.long } };
  }
}
