// Bounds of the metrics: at most 100 `type` label values per family (producers invent task
// types), and prom-client's default process metrics collected once per process, however
// many OperatorMetrics an app or a test creates.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, OperatorMetrics, TaskQueue } from '../../dist/index.js';
import { MAX_TYPE_LABELS, typeLabeler } from '../../dist/runtime/metrics/type-labels.js';
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

live('enqueued-by-type relabel: 150 enqueued types export the first 100 and `other`, and no series moves between scrapes', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('labels-enq') });
  queue.on('queue:warning', () => {});
  const metrics = new OperatorMetrics({ queue, processMetrics: false });
  try {
    // type-i enqueued i times; the later, larger types arrive after the hash is full.
    const inputs = [];
    for (let i = 1; i <= 150; i += 1) for (let n = 0; n < i; n += 1) inputs.push({ type: `type-${i}` });
    await queue.enqueueMany(inputs);
    let parsed = parseExposition(await metrics.registry.metrics());
    assert.is(series(parsed, 'tasklane_tasks_enqueued_total').length, 101);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-1' }), 1);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-100' }), 100);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-101' }), undefined);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'other' }), (101 + 150) * 25);
    // A small type growing past the others keeps its series; `other` only grows.
    await queue.enqueueMany(Array.from({ length: 500 }, () => ({ type: 'type-1' })));
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the scrape's shared read
    parsed = parseExposition(await metrics.registry.metrics());
    assert.is(series(parsed, 'tasklane_tasks_enqueued_total').length, 101);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'type-1' }), 501);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'other' }), (101 + 150) * 25);
  } finally {
    metrics.close();
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
