/**
 * The body of a worker process forked by the supervisor: one TaskQueue (its own Redis
 * connections), the handler map, and the actors of its share of the lanes, all under one
 * lease owner id that is unique to this process.
 *
 * Life cycle: load handlers → start actors → `ready` → (`stats`/`task` messages) →
 * on `drain` (or SIGTERM, or losing the primary) stop claiming, let in-flight tasks
 * finish within the drain timeout, release the rest uncounted → `drained` → exit 0.
 * Anything that leaves the process unfit to go on (handlers that do not load, an
 * uncaught exception) is reported as `fatal` and the process exits 1; the primary then
 * releases this owner's leases and restarts the worker.
 */
import cluster from 'node:cluster';
import type { Logger } from '../actors/types.js';
import { defaultRedisUrl } from '../infra/connection.js';
import { TaskQueue } from '../infra/task-queue.js';
import { readTlsCa } from '../infra/tls.js';
import { buildHandlers, type HandlerSet } from './handlers.js';
import { ActorHost, HOST_EVENT, type TaskEvent } from './host.js';
import { initQueueOptions, parsePrimaryMessage, readWorkerInit, toErrorData, TASK_EVENTS, type WorkerInit, type WorkerMessage } from './ipc.js';
import { createLogger, drainLogs, flushLogs, type LogLevel } from './logger.js';
import { redisLabel } from './redis-address.js';
import { watchRedis } from './redis-watch.js';
import { closeQueue } from './shutdown.js';
import { awaitRedis, listenBeforeClaims } from './startup.js';

/** How long a dying worker waits for its last message to reach the primary. */
const LAST_WORDS_MS = 1000;
/**
 * How long an exiting worker waits for stdout to take its last log lines: well inside the
 * supervisor's kill timer (drain timeout + 10 s), which the drain itself already eats into.
 */
const WORKER_LOG_DRAIN_MS = 3000;

/**
 * Runs this process as a tasklane worker. Call only in a process forked by the supervisor.
 *
 * @example
 * // dist/runtime/worker-main.js
 * await runWorker();
 */
export async function runWorker(): Promise<void> {
  const init = readWorkerInit(process.env);
  const log = createLogger(init.logLevel as LogLevel, { role: 'worker', worker: `w${init.index}`, owner: init.owner });
  const worker = new WorkerProcess(init, log);
  await worker.run();
}

class WorkerProcess {
  readonly #init: WorkerInit;
  readonly #log: Logger;
  #handlers: HandlerSet | undefined;
  #queue: TaskQueue | undefined;
  #host: ActorHost | undefined;
  #unwatch: (() => void) | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #dying = false;
  readonly #halt = new AbortController();

  constructor(init: WorkerInit, log: Logger) {
    this.#init = init;
    this.#log = log;
  }

  async run(): Promise<void> {
    const init = this.#init;
    process.on('uncaughtException', (err) => this.#die(err, 'uncaught exception'));
    process.on('unhandledRejection', (reason) => this.#die(reason, 'unhandled rejection'));
    // Ctrl-C reaches every process of the terminal's group; the primary coordinates the
    // drain, so the worker leaves SIGINT to it. SIGTERM aimed at this process alone drains it.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => void this.#drain(init.drainTimeoutMs, 'SIGTERM'));
    process.on('message', (raw) => this.#onMessage(raw));
    // The primary is gone (crashed or killed): nobody would release our leases, so drain and go.
    // node:cluster would instead exit the worker at once on an unexpected disconnect; it
    // skips that when this flag says the disconnect was expected, which lets the drain run.
    if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
    process.on('disconnect', () => void this.#drain(init.drainTimeoutMs, 'lost the supervisor'));

    try {
      this.#handlers = await buildHandlers({ apiUrl: init.apiUrl, apiTimeoutMs: init.apiTimeoutMs, handlers: init.handlers, guard: { apiGuard: init.apiGuard, taskTimeoutMs: init.taskTimeoutMs } });
    } catch (err) {
      this.#die(err, 'could not build the handlers');
      return;
    }
    if (this.#stopping) return; // told to drain while the handlers loaded
    let tls: { ca: string } | undefined;
    try {
      tls = init.redisTlsCa === null ? undefined : { ca: readTlsCa(init.redisTlsCa) };
    } catch (err) {
      this.#die(err, 'could not read the Redis CA file');
      return;
    }
    const queue = new TaskQueue(initQueueOptions(init, tls));
    this.#queue = queue;
    queue.on('queue:warning', (message) => this.#log.warn({}, message));
    const label = redisLabel(init.redis ?? defaultRedisUrl());
    this.#unwatch = watchRedis(queue.redis, { label, log: this.#log });
    this.#handlers.guards?.attach(queue.redis, init.queue);
    // The supervisor forks only once Redis answered it; this connection may still lag, and
    // `ready` must mean this worker can claim. A drain meanwhile aborts the wait.
    await awaitRedis(queue.redis, { waitMs: null, signal: this.#halt.signal });
    if (this.#stopping) return;
    // `ready` must also mean this worker hears new work (see listenBeforeClaims).
    await listenBeforeClaims(queue, this.#halt.signal, this.#log);
    if (this.#stopping) return;

    const host = new ActorHost({
      store: queue, handlers: this.#handlers.handlers, owner: init.owner, lanes: init.lanes,
      concurrency: init.concurrency, leaseMs: init.leaseMs, taskTimeoutMs: init.taskTimeoutMs, unknownTypeGraceMs: init.unknownTypeGraceMs, log: this.#log,
    });
    this.#host = host;
    for (const event of TASK_EVENTS) host.on(HOST_EVENT[event], (e: TaskEvent) => this.#sendTask(event, e));
    // The primary replaces this process: only a new process frees slots held by handlers that ignore their signal.
    host.on('actor:wedged', ({ lane, stuck, concurrency }) => this.#send({ type: 'wedged', owner: init.owner, lane, stuck, concurrency }));
    host.start();
    this.#send({ type: 'ready', owner: init.owner, pid: process.pid, lanes: init.lanes });
    this.#log.info({ lanes: init.lanes, handlers: Object.keys(this.#handlers.handlers) }, 'worker ready');
    this.#statsTimer = setInterval(() => this.#send({ type: 'stats', owner: init.owner, stats: host.stats(), apiCalls: this.#handlers!.apiCalls(), guard: this.#handlers!.guardCounts(), stuck: host.stuck() }), init.statsEveryMs);
    this.#statsTimer.unref();
  }

  #onMessage(raw: unknown): void {
    const parsed = parsePrimaryMessage(raw);
    if (!parsed.ok) {
      this.#log.warn({ problem: parsed.problem }, 'ignored a malformed message from the supervisor');
      return;
    }
    switch (parsed.message.type) {
      case 'drain':
        void this.#drain(parsed.message.timeoutMs, 'asked by the supervisor');
        break;
    }
  }

  async #drain(timeoutMs: number, reason: string): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#halt.abort();
    clearInterval(this.#statsTimer);
    this.#log.info({ reason, drainTimeoutMs: timeoutMs, inFlight: this.#host?.stats().inFlight ?? 0 }, 'draining');
    try {
      await this.#host?.stop(timeoutMs);
      await this.#handlers?.close();
      this.#unwatch?.();
      if (this.#queue) await closeQueue(this.#queue, { ownsClient: true });
    } catch (err) {
      this.#log.error({ err }, 'error while draining');
    }
    const stats = this.#host?.stats() ?? { inFlight: 0, completed: 0, retried: 0, dead: 0, leasesLost: 0, errors: 0 };
    this.#log.info({ stats }, 'drained');
    const drained: WorkerMessage = { type: 'drained', owner: this.#init.owner, stats };
    if (this.#handlers) {
      drained.apiCalls = this.#handlers.apiCalls();
      drained.guard = this.#handlers.guardCounts();
    }
    await this.#lastWords(drained);
    await drainLogs(WORKER_LOG_DRAIN_MS);
    process.exit(0);
  }

  #die(thrown: unknown, what: string): void {
    // A second fault while already dying: no more last words.
    if (this.#dying) {
      flushLogs();
      process.exit(1);
    }
    this.#dying = true;
    this.#stopping = true;
    clearInterval(this.#statsTimer);
    this.#log.error({ err: thrown }, `worker failed: ${what}`);
    void this.#lastWords({ type: 'fatal', owner: this.#init.owner, error: toErrorData(thrown) })
      .then(() => drainLogs(WORKER_LOG_DRAIN_MS))
      .then(() => process.exit(1));
  }

  #sendTask(event: (typeof TASK_EVENTS)[number], e: TaskEvent): void {
    const message: WorkerMessage = { type: 'task', event, owner: e.owner, task: e.task };
    if (e.durationMs !== undefined) message.durationMs = e.durationMs;
    if (e.waitMs !== undefined) message.waitMs = e.waitMs;
    if (e.retryInMs !== undefined) message.retryInMs = e.retryInMs;
    if (e.error) message.error = toErrorData(e.error);
    this.#send(message);
  }

  #send(message: WorkerMessage): void {
    if (process.connected) process.send?.(message);
  }

  /** Sends a final message and waits (briefly) until it is on its way, since exit drops queued IPC writes. */
  #lastWords(message: WorkerMessage): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, LAST_WORDS_MS);
      if (!process.connected || !process.send) {
        clearTimeout(timer);
        resolve();
        return;
      }
      process.send(message, undefined, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
