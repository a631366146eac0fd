/**
 * The Prometheus metrics of one queue (and, when given, the runtime processing it).
 *
 * Two sources, because they live in different places:
 * - Redis, read at scrape time: queue depth by state and lane, and tasks enqueued by type
 *   (producers are any process, so the enqueue script counts them in the queue's own hash).
 * - The runtime, in this process: task outcomes and their timings from the runtime's task
 *   events (worker processes forward every outcome over IPC), and cumulative figures from
 *   `runtime.stats()` (external API calls, worker restarts), which the supervisor keeps
 *   monotonic across worker restarts.
 * Outcome counters therefore count what *this* runtime did since it started, like any
 * process-local Prometheus counter; sum them over supervisors in PromQL.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { API_CALL_CLASSES } from '../../infra/api/api-calls.js';
import { ErrorCode } from '../../infra/errors.js';
import { emptyGuardCounts } from '../../infra/api/guard-counts.js';
import type { TaskQueue } from '../../infra/task-queue.js';
import type { Runtime, RuntimeStats, TaskEvent } from '../types.js';
import { processMetrics as sharedProcessMetrics } from './process-metrics.js';
import { queueSnapshotReader, type QueueSnapshot } from './queue-snapshot.js';
import { RecentActivity } from './recent.js';
import { typeLabeler } from './type-labels.js';
import { registerApiGuardMetrics } from './api-guard-metrics.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400];

/** What the metrics read. */
export interface MetricsSources {
  queue: TaskQueue;
  runtime?: Runtime | null;
  /** Guarded external APIs whose breaker state is exported. Default `['http']`. */
  apiScopes?: readonly string[];
  /** Also export Node's process metrics (`process_cpu_seconds_total`…). Default true. */
  processMetrics?: boolean;
}

/**
 * A prom-client registry fed by a queue and a runtime, plus the recent activity the
 * dashboard shows. `close()` stops listening to the runtime. `type` labels are bounded:
 * at most 100 values per metric family, the rest counted as `type="other"`.
 *
 * @example
 * const metrics = new OperatorMetrics({ queue, runtime });
 * res.setHeader('content-type', metrics.registry.contentType);
 * res.end(await metrics.registry.metrics());
 */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly recent = new RecentActivity();
  /**
   * The queue's counts as the metrics read them: one Redis read shared by the collectors of
   * a scrape and by anything else that asks at the same time (the dashboard's overview).
   */
  readonly queueSnapshot: () => Promise<QueueSnapshot>;
  readonly #unsubscribe: Array<() => void> = [];

  constructor({ queue, runtime = null, processMetrics = true, apiScopes = ['http'] }: MetricsSources) {
    const r = [this.registry];
    const snapshot = queueSnapshotReader(queue);
    this.queueSnapshot = snapshot;
    // Shared metric objects: the default collectors run once per process, whatever the instances.
    if (processMetrics) for (const metric of sharedProcessMetrics()) this.registry.registerMetric(metric);

    new Gauge({
      name: 'tasklane_redis_up', help: '1 when Redis answered this scrape\'s queue reads within 2 s, else 0 (the queue metrics are then absent)', registers: r,
      async collect() {
        this.set((await snapshot()).stats ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tasklane_queue_depth', help: 'Tasks in the queue by state; waiting by lane, other states over both lanes (lane="all")', labelNames: ['state', 'lane'], registers: r,
      async collect() {
        this.reset();
        const { stats } = await snapshot();
        if (!stats) return;
        this.set({ state: 'waiting', lane: 'short' }, stats.waiting.short);
        this.set({ state: 'waiting', lane: 'long' }, stats.waiting.long);
        for (const state of ['delayed', 'active', 'completed', 'dead'] as const) this.set({ state, lane: 'all' }, stats[state]);
      },
    });
    new Gauge({
      name: 'tasklane_active_leases', help: 'Leases held right now by every consumer of the queue', registers: r,
      async collect() {
        this.reset();
        const { stats } = await snapshot();
        if (stats) this.set(stats.active);
      },
    });
    new Gauge({
      name: 'tasklane_lane_paused', help: '1 while claims on the lane are paused (queue.pause, POST /pause), else 0; kept in Redis, so queue-wide', labelNames: ['lane'], registers: r,
      async collect() {
        this.reset();
        const { stats } = await snapshot();
        if (!stats) return;
        for (const lane of ['short', 'long'] as const) this.set({ lane }, stats.paused[lane] ? 1 : 0);
      },
    });
    new Counter({
      name: 'tasklane_tasks_enqueued_total', help: 'Tasks added to the queue by type, by any producer (duplicates excluded); kept in Redis, so queue-wide: aggregate supervisors with max, not sum. The first 100 types, the rest as "other"', labelNames: ['type'], registers: r,
      async collect() {
        this.reset();
        for (const [type, count] of Object.entries((await snapshot()).enqueued)) this.inc({ type }, count);
      },
    });
    const stats = runtime ? runtimeSnapshotReader(runtime) : null;
    if (runtime && stats) this.#observeRuntime(runtime, r, stats);
    // A runtime of another make may not count guard figures: zeros then.
    registerApiGuardMetrics(this.registry, queue, apiScopes, stats && (() => stats().apiGuard ?? emptyGuardCounts()));
  }

  /**
   * Stops listening to the runtime's events and empties the registry. The process metrics
   * are shared by every instance and keep running (once per process).
   */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.registry.clear();
  }

  #observeRuntime(runtime: Runtime, r: Registry[], stats: () => RuntimeStats): void {
    // At most 100 `type` values per family (the rest count as `other`): producers name types.
    const outcome = (name: string, what: string) => {
      const counter = new Counter({ name, help: `Task attempts ${what} by this runtime, by type (at most 100 types, the rest as "other")`, labelNames: ['type'], registers: r });
      const label = typeLabeler();
      return { inc: (type: string) => counter.inc({ type: label(type) }) };
    };
    const completed = outcome('tasklane_tasks_completed_total', 'completed');
    const retried = outcome('tasklane_tasks_retried_total', 'that failed and were scheduled for a durable retry');
    const dead = outcome('tasklane_tasks_dead_total', 'that dead-lettered their task');
    const lost = outcome('tasklane_leases_lost_total', 'whose lease was lost (outcome discarded)');
    const duration = new Histogram({ name: 'tasklane_task_duration_seconds', help: 'Handler run time of completed tasks, by type (at most 100 types, the rest as "other")', labelNames: ['type'], buckets: DURATION_BUCKETS, registers: r });
    const durationType = typeLabeler();
    const wait = new Histogram({ name: 'tasklane_task_wait_seconds', help: 'Time from ready to claimed, per claim (Redis clock): from enqueue, the end of a delay or retry backoff, a release, a lost lease\'s requeue or a dead-letter replay; by lane', labelNames: ['lane'], buckets: WAIT_BUCKETS, registers: r });
    const recent = this.recent;

    // Every claim ends in at most one of these events, so each claim's wait is observed once.
    // The wait runs from when the task last became claimable, not from its enqueue, so later
    // attempts (and replayed dead letters) count only their own wait.
    const observeWait = (e: TaskEvent) => {
      if (e.waitMs === undefined) return;
      wait.observe({ lane: e.task.lane }, e.waitMs / 1000);
      recent.observeWait(e.waitMs);
    };
    this.#on(runtime, 'task:completed', (e) => {
      completed.inc(e.task.type);
      if (e.durationMs !== undefined) {
        duration.observe({ type: durationType(e.task.type) }, e.durationMs / 1000);
        recent.observeDuration(e.durationMs);
      }
      recent.record('completed');
      observeWait(e);
    });
    this.#on(runtime, 'task:retrying', (e) => {
      retried.inc(e.task.type);
      recent.record('retried');
      observeWait(e);
    });
    this.#on(runtime, 'task:dead', (e) => {
      dead.inc(e.task.type);
      recent.record('dead');
      observeWait(e);
    });
    this.#on(runtime, 'lease:lost', (e) => {
      lost.inc(e.task.type);
      observeWait(e);
    });
    const unknownType = outcome('tasklane_unknown_type_total', 'that found no handler for their type and parked the task (a rolling deploy, or a type no worker handles)');
    this.#on(runtime, 'task:parked', (e) => {
      // A task given back because the API's guard holds calls is parked too, but it had a handler.
      if ((e.error as { code?: unknown } | undefined)?.code !== ErrorCode.GuardWait) unknownType.inc(e.task.type);
      observeWait(e);
    });

    new Counter({
      name: 'tasklane_worker_restarts_total', help: 'Worker processes started again after one ended, by worker slot', labelNames: ['worker'], registers: r,
      collect() {
        this.reset();
        for (const w of stats().workers) this.inc({ worker: w.worker }, w.restarts);
      },
    });
    new Gauge({
      name: 'tasklane_workers', help: 'Worker slots of this runtime by readiness', labelNames: ['ready'], registers: r,
      collect() {
        const workers = stats().workers;
        const ready = workers.filter((w) => w.ready).length;
        this.set({ ready: 'true' }, ready);
        this.set({ ready: 'false' }, workers.length - ready);
      },
    });
    new Gauge({
      name: 'tasklane_runtime_tasks_in_flight', help: 'Tasks this runtime\'s actors are running (from the workers\' latest reports)', registers: r,
      collect() {
        this.set(stats().totals.inFlight);
      },
    });
    new Gauge({
      name: 'tasklane_stuck_handlers', help: 'Handlers past their deadline (or lost lease, or forced stop) that have not settled and still hold a slot, by lane (from the workers\' latest reports); reaching an actor\'s concurrency gets its worker process replaced', labelNames: ['lane'], registers: r,
      collect() {
        // A Runtime of an older build (or a hand-made one) may not report it.
        const stuck = stats().stuck ?? { short: 0, long: 0 };
        this.set({ lane: 'short' }, stuck.short);
        this.set({ lane: 'long' }, stuck.long);
      },
    });
    new Counter({
      name: 'tasklane_external_api_calls_total', help: 'HTTP requests of the `http` handler to the external API by outcome class (2xx…5xx, timeout, network, aborted); quick retries count', labelNames: ['class'], registers: r,
      collect() {
        this.reset();
        const calls = stats().apiCalls;
        for (const key of API_CALL_CLASSES) this.inc({ class: key }, calls[key]);
      },
    });
  }

  #on<E extends 'task:completed' | 'task:retrying' | 'task:dead' | 'lease:lost' | 'task:parked'>(runtime: Runtime, event: E, listener: (e: TaskEvent) => void): void {
    runtime.on(event, listener);
    this.#unsubscribe.push(() => runtime.off(event, listener));
  }
}

/**
 * `runtime.stats()` once per scrape. prom-client calls every collector of a scrape in one
 * synchronous pass, so a snapshot kept until the next microtask is that scrape's own: the
 * runtime collectors agree with one another, and a later scrape reads afresh.
 *
 * @example
 * const stats = runtimeSnapshotReader(runtime);
 * stats().workers === stats().workers // true within one scrape
 */
function runtimeSnapshotReader(runtime: Runtime): () => RuntimeStats {
  let current: RuntimeStats | undefined;
  return () => {
    if (current === undefined) {
      current = runtime.stats();
      queueMicrotask(() => {
        current = undefined;
      });
    }
    return current;
  };
}
