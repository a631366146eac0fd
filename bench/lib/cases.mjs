// The benchmark cases, system-agnostic: each forks worker processes for one system
// (bench/lib/worker.mjs) and measures them. Every measured run starts on an empty Redis
// (FLUSHALL) and resets INFO commandstats once the workers are connected, right before `go`.
import { spawnWorker, waitUntil } from './child.mjs';
import { measureMemory } from './memory.mjs';
import { CommandMonitor } from './redis-stats.mjs';
import { heldCompleted } from './retention.mjs';
import { supervisorProcess } from './supervisor-case.mjs';
import { percentile, sum } from '../../scripts/lib/stats.mjs';

/** The cases, in run order, with the flag values that select them. */
export const CASES = [
  { name: 'bulk', n: 1 },
  { name: 'process', n: 2 },
  { name: 'latency', n: 3 },
  { name: 'http', n: 4 },
  { name: 'commands', n: 5 },
  { name: 'supervisor', n: 6, only: 'tasklane' },
  { name: 'memory', n: 7, only: 'tasklane' },
];

/**
 * The parent-side adapter of one system: the same interface for every system, whose
 * work happens in forked processes running that system's own client library.
 *
 * @param {string} system
 * @param {BenchContext} ctx
 * @example
 * const bench = benchSystem('bullmq', ctx);
 * await bench.setup('bench-bullmq-r0-bulk');
 * const { tasksPerSec } = await bench.bulkEnqueue(50_000);
 */
export function benchSystem(system, ctx) {
  let queue;
  return {
    name: system,
    /** Empties Redis and picks the queue the next calls use. */
    async setup(queueName) {
      await ctx.admin.flush();
      queue = queueName;
    },
    bulkEnqueue: (n) => bulkEnqueue(ctx, system, queue, n),
    process: (options) => processAll(ctx, system, queue, options),
    latency: (options) => latency(ctx, system, queue, options),
    commands: (n) => commandsPerTask(ctx, system, queue, n),
    /** tasklane only: drains the queue through `node dist/supervisor.js` (lib/supervisor-case.mjs). */
    supervisor: (options) => supervisorProcess(ctx, queue, options),
    /** tasklane only: Redis bytes per task in each retention window (lib/memory.mjs). */
    memory: (options) => measureMemory({ url: ctx.url, redis: ctx.admin.client, queue, ...options }),
    async teardown() {
      await ctx.admin.flush();
    },
  };
}

/**
 * @typedef {object} BenchContext
 * @property {string} url            the private redis-server
 * @property {import('./redis-stats.mjs').RedisAdmin} admin
 * @property {number} batch          tasks per bulk call
 * @property {string | null} httpUrl the local 5 ms server (case 4)
 * @property {number} retentionMs    how long completed tasks are kept (lib/retention.mjs)
 */

/** Case 1, and the pre-fill of the others: `n` tasks in batches of `ctx.batch`, one bulk call at a time. */
async function bulkEnqueue(ctx, system, queue, n) {
  const producer = spawnWorker(system, 'bulk', { url: ctx.url, queue, retentionMs: ctx.retentionMs, tasks: n, batch: ctx.batch });
  try {
    await producer.ready;
    await ctx.admin.resetStats();
    const redisCpu0 = await ctx.admin.cpuSeconds();
    producer.go();
    const { ms, cpuMs } = await producer.done;
    const redisCpuMs = (await ctx.admin.cpuSeconds() - redisCpu0) * 1000;
    const counts = await ctx.admin.commandCounts();
    return { tasksPerSec: n / (ms / 1000), ms, counts, cpu: { clientMs: cpuMs, redisMs: redisCpuMs } };
  } finally {
    producer.kill();
  }
}

/**
 * Cases 2 and 4: `processes` workers at `concurrency` each drain a pre-filled queue of `n`.
 * Throughput counts from the first completion to the last (across all workers), so process
 * start-up is left out; a completion is counted once the system has recorded it in Redis.
 * `held`: the completed tasks the system still kept at the end, what reaping left.
 */
async function processAll(ctx, system, queue, { n, processes, concurrency, handler }) {
  const workers = Array.from({ length: processes }, () =>
    spawnWorker(system, 'work', { url: ctx.url, queue, retentionMs: ctx.retentionMs, concurrency, handler, httpUrl: ctx.httpUrl }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    await ctx.admin.resetStats();
    const redisCpu0 = await ctx.admin.cpuSeconds();
    for (const w of workers) w.go();
    const total = () => sum(workers.map((w) => w.progress.completed));
    await unlessEnded(workers, waitUntil(() => total() >= n, { timeoutMs: 60_000 + n * 5, what: `${n} completions (${system})` }));
    const redisCpuMs = (await ctx.admin.cpuSeconds() - redisCpu0) * 1000;
    const counts = await ctx.admin.commandCounts();
    const held = await heldCompleted(ctx.admin.client, system, queue);
    for (const w of workers) w.stop();
    const finals = await Promise.all(workers.map((w) => w.done));
    const completed = sum(finals.map((f) => f.completed));
    const first = Math.min(...finals.map((f) => f.first ?? Infinity));
    const last = Math.max(...finals.map((f) => f.last ?? -Infinity));
    const spanMs = last - first;
    const cpu = { clientMs: sum(finals.map((f) => f.cpuMs)), redisMs: redisCpuMs };
    return { tasksPerSec: (completed - 1) / (spanMs / 1000), completed, spanMs, counts, cpu, held, perProcess: finals.map((f) => f.completed) };
  } finally {
    for (const w of workers) w.kill();
  }
}

/**
 * Case 3: a producer process enqueues single tasks at `rate`/s (timer-driven, one call per
 * task) while a worker process at `concurrency` records, at handler start, how long ago the
 * task was stamped (just before its enqueue call). The first `warmupMs` are not recorded.
 */
async function latency(ctx, system, queue, { rate, warmupMs, durationMs, concurrency }) {
  const worker = spawnWorker(system, 'work', { url: ctx.url, queue, retentionMs: ctx.retentionMs, concurrency, handler: 'latency' });
  let producer;
  try {
    await worker.ready;
    producer = spawnWorker(system, 'produce', { url: ctx.url, queue, retentionMs: ctx.retentionMs, rate, warmupMs, durationMs });
    await producer.ready;
    await ctx.admin.resetStats();
    const redisCpu0 = await ctx.admin.cpuSeconds();
    worker.go();
    producer.go();
    const produced = await unlessEnded([worker], producer.done);
    await unlessEnded([worker], waitUntil(() => worker.progress.completed >= produced.sent, { timeoutMs: 30_000, what: `the last tasks to start (${system})` }));
    const redisCpuMs = (await ctx.admin.cpuSeconds() - redisCpu0) * 1000;
    const counts = await ctx.admin.commandCounts();
    worker.stop();
    const final = await worker.done;
    const samples = final.samples.sort((a, b) => a - b);
    return {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples.at(-1) ?? null,
      mean: sum(samples) / samples.length,
      samples: samples.length,
      expected: produced.measured,
      completed: final.completed,
      producer: { elapsedMs: produced.elapsedMs, maxInFlight: produced.maxInFlight, failures: produced.failures },
      counts,
      cpu: { clientMs: produced.cpuMs + final.cpuMs, producerMs: produced.cpuMs, workerMs: final.cpuMs, redisMs: redisCpuMs },
    };
  } finally {
    worker.kill();
    producer?.kill();
  }
}

/**
 * Case 5: `n` tasks bulk-enqueued and then processed by one worker at concurrency 100, with
 * MONITOR telling commands sent by clients from those run inside scripts, and commandstats
 * giving the total executed. Not timed (MONITOR slows Redis down).
 */
async function commandsPerTask(ctx, system, queue, n) {
  const monitor = await CommandMonitor.start(ctx.admin);
  try {
    const producer = spawnWorker(system, 'bulk', { url: ctx.url, queue, retentionMs: ctx.retentionMs, tasks: n, batch: ctx.batch });
    let enqueue;
    try {
      await producer.ready;
      await ctx.admin.resetStats();
      await monitor.mark('enqueue-start');
      producer.go();
      await producer.done;
      enqueue = { counts: await ctx.admin.commandCounts(), monitored: await monitor.mark('enqueue-end') };
    } finally {
      producer.kill();
    }
    const worker = spawnWorker(system, 'work', { url: ctx.url, queue, retentionMs: ctx.retentionMs, concurrency: 100, handler: 'noop' });
    let processing;
    try {
      await worker.ready;
      await ctx.admin.resetStats();
      await monitor.mark('process-start');
      worker.go();
      await unlessEnded([worker], waitUntil(() => worker.progress.completed >= n, { timeoutMs: 60_000 + n * 10, what: `${n} completions (${system}, monitored)` }));
      processing = { counts: await ctx.admin.commandCounts(), monitored: await monitor.mark('process-end') };
      worker.stop();
      await worker.done;
    } finally {
      worker.kill();
    }
    const per = (x) => x / n;
    return {
      n,
      sentPerTask: per(enqueue.monitored.sent + processing.monitored.sent),
      executedPerTask: per(enqueue.counts.executed + processing.counts.executed),
      enqueue: phase(enqueue, n),
      process: phase(processing, n),
    };
  } finally {
    await monitor.stop();
  }
}

function phase({ counts, monitored }, n) {
  const perTask = (by) => Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / n)]));
  return {
    sentPerTask: monitored.sent / n,
    executedPerTask: counts.executed / n,
    // MONITOR's own total, as a cross-check of commandstats (they should agree closely).
    monitoredPerTask: (monitored.sent + monitored.inScripts) / n,
    sentBy: perTask(monitored.sentBy),
    inScriptsBy: perTask(monitored.inScriptsBy),
  };
}

function round(x) {
  return Math.round(x * 10_000) / 10_000;
}

/** `promise`, unless one of `workers` ends first (crash or failure), which rejects. */
function unlessEnded(workers, promise) {
  const ended = workers.map((w) => w.done.then(() => {
    throw new Error(`${w.system} ${w.role} worker ended early`);
  }));
  return Promise.race([promise, ...ended]);
}
