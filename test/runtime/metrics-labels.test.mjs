// Bounds of the metrics: at most 100 `type` label values per family (producers invent task
// types), and prom-client's default process metrics collected once per process, however
// many OperatorMetrics an app or a test creates.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, OperatorMetrics, TaskQueue } from '../../dist/index.js';
import { largestTypes, MAX_TYPE_LABELS, typeLabeler } from '../../dist/runtime/metrics/type-labels.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';

const series = (parsed, name) => parsed.samples.filter((s) => s.name === name);

const units = suite('type label bounds');

units('typeLabeler keeps the first 100 types and names later ones `other`', () => {
  assert.is(MAX_TYPE_LABELS, 100);
  const label = typeLabeler(3);
  assert.equal(['a', 'b', 'a', 'c', 'd', 'b', 'e'].map(label), ['a', 'b', 'a', 'c', 'other', 'b', 'other']);
  assert.is(typeLabeler()('other'), 'other');
});

units('largestTypes keeps the largest counts and sums the rest into `other`', () => {
  assert.equal({ ...largestTypes({ a: 5, b: 1, c: 3, d: 3 }, 2) }, { a: 5, c: 3, other: 4 });
  assert.equal({ ...largestTypes({ a: 1, other: 2, b: 3 }, 5) }, { b: 3, a: 1, other: 2 });
  assert.equal({ ...largestTypes({ a: 1 }) }, { a: 1 });
  // Types are producers' strings: `__proto__` is a key like any other.
  assert.equal(Object.keys(largestTypes(JSON.parse('{"__proto__":1,"b":2}'), 5)), ['b', '__proto__']);
});

units.run();

const live = suite('metric type labels are bounded');

live('label cardinality: outcomes and durations of 150 task types export 100 types and `other`', async () => {
  const name = uniqueName('labels');
  const runtime = createRuntime({ processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 0, logLevel: 'silent', handlers: {} });
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  const metrics = new OperatorMetrics({ queue, runtime, processMetrics: false });
  try {
    for (let i = 0; i < 150; i += 1) {
      // attempt 2 and no waitMs: only the by-type families move.
      const task = { id: `t${i}`, type: `type-${i}`, lane: 'short', attempt: 2 };
      runtime.emit('task:completed', { task, durationMs: 5 });
      runtime.emit('task:dead', { task });
    }
    runtime.emit('task:completed', { task: { id: 'again', type: 'type-0', lane: 'short', attempt: 2 }, durationMs: 5 });
    const parsed = parseExposition(await metrics.registry.metrics());
    for (const family of ['tasklane_tasks_completed_total', 'tasklane_tasks_dead_total', 'tasklane_task_duration_seconds_count']) {
      assert.is(series(parsed, family).length, 101, family);
      assert.is(sampleValue(parsed, family, { type: 'other' }), 50, family);
      assert.is(sampleValue(parsed, family, { type: 'type-99' }), 1, family);
      assert.is(sampleValue(parsed, family, { type: 'type-100' }), undefined, family);
    }
    assert.is(sampleValue(parsed, 'tasklane_tasks_completed_total', { type: 'type-0' }), 2);
  } finally {
    metrics.close();
    await queue.close();
  }
});

live('label cardinality: enqueued counts of 150 types export the 100 largest and sum the rest into `other`', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('labels-enq') });
  queue.on('queue:warning', () => {});
  const metrics = new OperatorMetrics({ queue, processMetrics: false });
  try {
    const fields = [];
    for (let i = 1; i <= 150; i += 1) fields.push(`type-${i}`, String(i));
    await queue.redis.hset(queue.keys.enqueuedCounts, ...fields);
    const parsed = parseExposition(await metrics.registry.metrics());
    assert.is(series(parsed, 'tasklane_tasks_enqueued_total').length, 101);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-150' }), 150);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-51' }), 51);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-50' }), undefined);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'other' }), (50 * 51) / 2);
  } finally {
    metrics.close();
    await queue.redis.del(queue.keys.enqueuedCounts);
    await queue.close();
  }
});

live.run();

const defaults = suite('process metrics');

defaults('default metrics are registered once per process: instances share them; close() empties the instance', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('defaults') });
  queue.on('queue:warning', () => {});
  const a = new OperatorMetrics({ queue });
  const b = new OperatorMetrics({ queue });
  const c = new OperatorMetrics({ queue, processMetrics: false });
  try {
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'process_cpu_user_seconds_total']) {
      const shared = a.registry.getSingleMetric(name);
      assert.ok(shared, `${name} missing`);
      assert.ok(b.registry.getSingleMetric(name) === shared, `${name}: each instance started its own collector`);
      assert.is(c.registry.getSingleMetric(name), undefined, `${name} with processMetrics: false`);
    }
    a.close();
    assert.is(a.registry.getMetricsAsArray().length, 0, 'close() leaves the registry empty');
    const parsed = parseExposition(await b.registry.metrics());
    assert.ok(parsed.families.has('process_cpu_user_seconds_total'), 'closing one instance leaves the others\' process metrics');
  } finally {
    a.close();
    b.close();
    c.close();
    await queue.close();
  }
});

defaults.run();
