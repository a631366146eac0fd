// Prometheus metrics: the exposition is well-formed, and the counters and histograms move
// when an in-process runtime runs tasks (the supervisor's are in http-supervisor.test.mjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { createHttpHandler, createRuntime, LeaseLostError, NonRetryableError, OperatorMetrics, TaskQueue, TaskTimeoutError } from '../../dist/index.js';
import { parseWorkerMessage } from '../../dist/runtime/ipc.js';
import { RecentActivity } from '../../dist/runtime/metrics/recent.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const recent = suite('RecentActivity');

recent('throughput is 300 per-second points, oldest first, zeros where nothing happened', () => {
  const activity = new RecentActivity();
  const now = 1_700_000_000_500;
  activity.record('completed', now);
  activity.record('completed', now - 200);
  activity.record('dead', now - 2000);
  activity.record('retried', now - 301_000); // outside the window
  const points = activity.throughput(now);
  assert.is(points.length, 300);
  assert.is(points.at(-1).t, Math.floor(now / 1000));
  assert.is(points[0].t, Math.floor(now / 1000) - 299);
  assert.equal(points.at(-1), { t: Math.floor(now / 1000), completed: 2, retried: 0, dead: 0 });
  assert.is(points.at(-3).dead, 1);
  assert.is(points.reduce((sum, p) => sum + p.retried, 0), 0);
});

recent('a ring slot reused after 300 s starts from zero', () => {
  const activity = new RecentActivity();
  const t0 = 1_700_000_000_000;
  activity.record('completed', t0);
  activity.record('completed', t0 + 300_000); // same slot, five minutes later
  assert.is(activity.throughput(t0 + 300_000).at(-1).completed, 1);
});

recent('latency percentiles cover the last 60 s and are null without samples', () => {
  const activity = new RecentActivity();
  const now = 1_700_000_000_000;
  assert.equal(activity.latency(now), { waitP50Ms: null, waitP99Ms: null, durationP50Ms: null, durationP99Ms: null });
  for (let i = 1; i <= 100; i += 1) activity.observeDuration(i, now - 1000);
  activity.observeDuration(10_000, now - 61_000); // too old
  activity.observeWait(5, now);
  const latency = activity.latency(now);
  assert.is(latency.durationP50Ms, 50);
  assert.is(latency.durationP99Ms, 99);
  assert.is(latency.waitP50Ms, 5);
  assert.is(activity.latency(now + 120_000).durationP50Ms, null);
});

recent('a sample stamped out of order leaves the window with its own time, not its neighbours\'', () => {
  const activity = new RecentActivity();
  const now = 1_700_000_000_000;
  activity.observeDuration(1, now - 1000);
  activity.observeDuration(500, now - 50_000); // arrives after a newer sample
  assert.is(activity.latency(now).durationP99Ms, 500);
  assert.is(activity.latency(now + 20_000).durationP99Ms, 1);
});

recent.run();

const live = suite('metrics of an in-process runtime');

live('the exposition parses, and counters and histograms move as tasks run', async () => {
  const api = await startFlakyApi();
  const name = uniqueName('metrics');
  let firstTry = true;
  const runtime = createRuntime({
    processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 0, apiUrl: `${api.url}/tasks`, logLevel: 'silent', drainTimeoutMs: 1000,
    handlers: {
      echo: async (task) => task.payload,
      boom: async () => {
        throw new NonRetryableError('no');
      },
      flaky: async () => {
        if (firstTry) {
          firstTry = false;
          throw Object.assign(new Error('once'), { retryAfterMs: 10 });
        }
        return 'ok';
      },
    },
  });
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const metrics = new OperatorMetrics({ queue: producer, runtime });
  const scrape = async () => parseExposition(await metrics.registry.metrics());
  try {
    await runtime.start();
    const before = await scrape();
    assert.is(sampleValue(before, 'tasklane_redis_up'), 1);
    assert.is(sampleValue(before, 'tasklane_tasks_completed_total', { type: 'echo' }), undefined);
    assert.is(sampleValue(before, 'tasklane_external_api_calls_total', { class: '2xx' }), 0);

    api.script('m-http-ok', [200]);
    api.script('m-http-500', ['500', '500', '500', 200]); // three tries in one attempt, all 5xx → durable retry
    api.script('m-http-422', [422]);
    await producer.enqueueMany([
      { id: 'm-echo-1', type: 'echo', payload: 1 }, { id: 'm-echo-2', type: 'echo', payload: 2 },
      { id: 'm-boom', type: 'boom' }, { id: 'm-flaky', type: 'flaky' },
      { id: 'm-http-ok', type: 'http' }, { id: 'm-http-500', type: 'http' }, { id: 'm-http-422', type: 'http' },
    ]);
    await producer.enqueue({ id: 'm-echo-1', type: 'echo' }); // duplicate: not counted
    const done = async () => {
      const ids = ['m-echo-1', 'm-echo-2', 'm-flaky', 'm-http-ok', 'm-http-500'];
      const tasks = await Promise.all(ids.map((id) => producer.get(id)));
      const dead = await Promise.all(['m-boom', 'm-http-422'].map((id) => producer.get(id)));
      return tasks.every((t) => t?.state === 'completed') && dead.every((t) => t?.state === 'dead');
    };
    await eventually(done, { timeoutMs: 20_000, what: 'every task to finish' });

    const after = await scrape();
    assert.is(sampleValue(after, 'tasklane_tasks_enqueued_total', { type: 'echo' }), 2);
    assert.is(sampleValue(after, 'tasklane_tasks_enqueued_total', { type: 'http' }), 3);
    assert.is(sampleValue(after, 'tasklane_tasks_completed_total', { type: 'echo' }), 2);
    assert.is(sampleValue(after, 'tasklane_tasks_completed_total', { type: 'flaky' }), 1);
    assert.is(sampleValue(after, 'tasklane_tasks_completed_total', { type: 'http' }), 2);
    assert.is(sampleValue(after, 'tasklane_tasks_retried_total', { type: 'flaky' }), 1);
    assert.is(sampleValue(after, 'tasklane_tasks_retried_total', { type: 'http' }), 1);
    assert.is(sampleValue(after, 'tasklane_tasks_dead_total', { type: 'boom' }), 1);
    assert.is(sampleValue(after, 'tasklane_tasks_dead_total', { type: 'http' }), 1);
    assert.is(sampleValue(after, 'tasklane_task_duration_seconds_count', { type: 'echo' }), 2);
    assert.is(sampleValue(after, 'tasklane_task_duration_seconds_bucket', { type: 'echo', le: '+Inf' }), 2);
    // One wait per claim: seven first attempts, and the retries of m-flaky and m-http-500.
    assert.is(sampleValue(after, 'tasklane_task_wait_seconds_count', { lane: 'short' }), 9);
    const waitSum = sampleValue(after, 'tasklane_task_wait_seconds_sum', { lane: 'short' });
    assert.ok(waitSum >= 0 && waitSum < 30, `wait sum ${waitSum}`);
    // ok: 1×200; 500: 3×500 then 1×200 on the retry; 422: 1.
    assert.is(sampleValue(after, 'tasklane_external_api_calls_total', { class: '2xx' }), 2);
    assert.is(sampleValue(after, 'tasklane_external_api_calls_total', { class: '5xx' }), 3);
    assert.is(sampleValue(after, 'tasklane_external_api_calls_total', { class: '4xx' }), 1);
    assert.is(sampleValue(after, 'tasklane_queue_depth', { state: 'completed', lane: 'all' }), 5);
    assert.is(sampleValue(after, 'tasklane_queue_depth', { state: 'dead', lane: 'all' }), 2);
    assert.is(sampleValue(after, 'tasklane_queue_depth', { state: 'waiting', lane: 'short' }), 0);
    assert.is(sampleValue(after, 'tasklane_workers', { ready: 'true' }), 1);
    assert.is(sampleValue(after, 'tasklane_worker_restarts_total', { worker: 'inline' }), 0);
    assert.ok(after.families.has('process_cpu_user_seconds_total'), 'process metrics are exported');

    const throughput = metrics.recent.throughput();
    assert.is(throughput.reduce((sum, p) => sum + p.completed, 0), 5);
    assert.is(throughput.reduce((sum, p) => sum + p.dead, 0), 2);
    assert.ok(metrics.recent.latency().durationP50Ms >= 0);
  } finally {
    metrics.close();
    await runtime.stop();
    await producer.close();
    await api.close();
  }
});

// Regression: the wait was claim time minus the enqueue time, so a dead letter replayed a week
// after its enqueue recorded a wait of a week.
live('a replayed week-old dead letter records the wait since its replay', async () => {
  const name = uniqueName('metrics-replay');
  let broken = true;
  const runtime = createRuntime({
    processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 0, logLevel: 'silent', drainTimeoutMs: 1000,
    handlers: {
      job: async () => {
        if (broken) throw new NonRetryableError('not yet');
        return 'ok';
      },
    },
  });
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const metrics = new OperatorMetrics({ queue: producer, runtime, processMetrics: false });
  const scrape = async () => parseExposition(await metrics.registry.metrics());
  try {
    await runtime.start();
    await producer.enqueue({ id: 'old', type: 'job' });
    await eventually(async () => (await producer.get('old'))?.state === 'dead', { what: 'the dead letter' });
    const key = producer.keys.task('old');
    await producer.redis.hset(key, 'ct', String(Number(await producer.redis.hget(key, 'ct')) - 7 * 24 * 3_600_000));
    broken = false;
    assert.ok(await producer.retryDead('old'));
    await eventually(async () => (await producer.get('old'))?.state === 'completed', { what: 'the replay to complete' });
    const after = await scrape();
    const short = { lane: 'short' };
    assert.is(sampleValue(after, 'tasklane_task_wait_seconds_count', short), 2, 'the first run and the replay');
    assert.is(sampleValue(after, 'tasklane_task_wait_seconds_bucket', { ...short, le: '30' }), 2, 'both waited under 30 s');
    assert.ok(sampleValue(after, 'tasklane_task_wait_seconds_sum', short) < 30);
    assert.ok(metrics.recent.latency().waitP99Ms < 30_000);
  } finally {
    metrics.close();
    await runtime.stop();
    await producer.close();
  }
});

live('without Redis answering, a scrape still answers quickly with tasklane_redis_up 0', async () => {
  // Nothing listens on port 1; the client keeps retrying, and the scrape must not wait for it.
  const queue = new TaskQueue({ redis: 'redis://127.0.0.1:1', name: uniqueName('down') });
  queue.on('queue:warning', () => {});
  queue.redis.on('error', () => {});
  const metrics = new OperatorMetrics({ queue, processMetrics: false });
  try {
    const started = Date.now();
    const parsed = parseExposition(await metrics.registry.metrics());
    // The bug this guards is a scrape that hangs; the bound is loose so a loaded machine cannot fail it.
    assert.ok(Date.now() - started < 15_000, 'answered instead of hanging');
    assert.is(sampleValue(parsed, 'tasklane_redis_up'), 0);
    assert.is(sampleValue(parsed, 'tasklane_queue_depth', { state: 'dead', lane: 'all' }), undefined);
  } finally {
    metrics.close();
    // QUIT would wait in the offline queue forever; drop the connection instead.
    const closing = queue.close().catch(() => {});
    queue.redis.disconnect();
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 500))]);
  }
});

live('runtime metrics: one runtime.stats() snapshot per scrape, not one per collector', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('metrics-snap') });
  queue.on('queue:warning', () => {});
  let reads = 0;
  const runtime = {
    on() {},
    off() {},
    stats() {
      reads += 1;
      return {
        state: 'running',
        workers: [{ worker: 'w0', ready: true, restarts: reads, stats: null }],
        totals: { inFlight: reads, completed: 0, retried: 0, dead: 0, leasesLost: 0, errors: 0 },
        apiCalls: { '2xx': reads, '3xx': 0, '4xx': 0, '5xx': 0, timeout: 0, network: 0, aborted: 0 },
      };
    },
  };
  const metrics = new OperatorMetrics({ queue, runtime, processMetrics: false });
  try {
    let parsed = parseExposition(await metrics.registry.metrics());
    assert.is(reads, 1);
    assert.is(sampleValue(parsed, 'tasklane_worker_restarts_total', { worker: 'w0' }), 1);
    assert.is(sampleValue(parsed, 'tasklane_runtime_tasks_in_flight'), 1);
    parsed = parseExposition(await metrics.registry.metrics());
    assert.is(reads, 2, 'a later scrape reads afresh');
    assert.is(sampleValue(parsed, 'tasklane_runtime_tasks_in_flight'), 2);
    assert.is(sampleValue(parsed, 'tasklane_workers', { ready: 'true' }), 1);
  } finally {
    metrics.close();
    await queue.close();
  }
});

live.run();

const calls = suite('external API calls by class');

/** A context as the actor gives it, with a signal the test controls. */
function context(controller) {
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
  return { signal: controller.signal, attempt: 1, fence: 1, heartbeat: async () => true, log };
}
const lease = (id) => ({ id, fence: 1, attempt: 1, owner: 'o', type: 'http', payload: {}, lane: 'short', priority: 0, timeoutMs: 0, maxAttempts: 1, createdAt: 0, expiresAt: 0, leaseMs: 1000 });

calls('every request counts once: by status class, and as timeout, aborted or network without an answer', async () => {
  const api = await startFlakyApi();
  const http = createHttpHandler({ url: `${api.url}/tasks`, quickRetries: 1, quickRetryMinMs: 1, quickRetryMaxMs: 1 });
  try {
    api.script('c-ok', [201]);
    api.script('c-503', ['503', 200]);
    api.script('c-404', [404]);
    api.script('c-reset', ['reset', 'reset']);
    api.script('c-hang', ['hang']);
    api.script('c-lost', ['hang']);
    await http(lease('c-ok'), context(new AbortController()));
    await http(lease('c-503'), context(new AbortController()));
    await http(lease('c-404'), context(new AbortController())).catch(() => {});
    await http(lease('c-reset'), context(new AbortController())).catch(() => {});
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(new TaskTimeoutError(50)), 50);
    await http(lease('c-hang'), context(deadline)).catch(() => {});
    const lost = new AbortController();
    setTimeout(() => lost.abort(new LeaseLostError('c-lost')), 50);
    await http(lease('c-lost'), context(lost)).catch(() => {});
    assert.equal(http.calls(), { '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 1, timeout: 1, network: 2, aborted: 1 });
  } finally {
    await http.close();
    await api.close();
  }
});

calls('IPC: stats and drained messages carry cumulative API calls, validated', () => {
  const stats = { inFlight: 0, completed: 1, retried: 0, dead: 0, leasesLost: 0, errors: 0 };
  const apiCalls = { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 2, timeout: 0, network: 0, aborted: 0 };
  assert.ok(parseWorkerMessage({ type: 'stats', owner: 'o', stats, apiCalls }).ok);
  assert.ok(parseWorkerMessage({ type: 'drained', owner: 'o', stats }).ok, 'apiCalls is optional');
  const bad = parseWorkerMessage({ type: 'stats', owner: 'o', stats, apiCalls: { ...apiCalls, '5xx': -1 } });
  assert.not.ok(bad.ok);
  assert.match(bad.problem, /apiCalls/);
  assert.ok(parseWorkerMessage({ type: 'task', event: 'completed', owner: 'o', task: { id: 'a', type: 't', lane: 'short', attempt: 1, fence: 1 }, waitMs: 12.5 }).ok);
  assert.not.ok(parseWorkerMessage({ type: 'task', event: 'completed', owner: 'o', task: { id: 'a', type: 't', lane: 'short', attempt: 1, fence: 1 }, waitMs: -1 }).ok);
});

calls.run();
